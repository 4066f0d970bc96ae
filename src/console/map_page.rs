//! `GET /console/map`: the risk map (风险隐患图) of unresolved hazards at their enterprises. The
//! server draws the points itself (SVG, so the page works with JavaScript off); with it on,
//! Leaflet, served from the binary, draws them again over the configured tiles, if any.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Frame, PageError, Visitor, html};
use crate::AppState;
use crate::stats::map_api::{self, MapQuery};

/// A point of the server's drawing, in the drawing's units (600 × 400).
pub struct MapPoint {
    pub x: i64,
    pub y: i64,
    pub major: bool,
    pub label: String,
}

#[derive(Template)]
#[template(path = "console/map.html")]
struct MapPage {
    frame: Frame,
    tiles: String,
}

/// The server's drawing of the points, an image of its own so the page stays light.
#[derive(Template)]
#[template(path = "console/map_points.svg")]
struct MapDrawing {
    points: Vec<MapPoint>,
    /// Unresolved hazards whose enterprise has no position, and whether the newest 5,000 were
    /// all there was.
    unplaced: usize,
    truncated: bool,
}

fn open_hazards() -> MapQuery {
    MapQuery {
        status: None,
        level: None,
        overdue: None,
        listed: None,
        enterprise_id: None,
        sector: None,
        region: None,
        bbox: None,
    }
}

/// (longitude, latitude, major, label) of the features that have a position.
fn placed(features: &[serde_json::Value]) -> Vec<(f64, f64, bool, String)> {
    features
        .iter()
        .filter_map(|f| {
            let coordinates = f["geometry"]["coordinates"].as_array()?;
            let (lon, lat) = (
                coordinates.first()?.as_f64()?,
                coordinates.get(1)?.as_f64()?,
            );
            let p = &f["properties"];
            let label = format!(
                "{}：{}",
                p["enterprise_name"].as_str().unwrap_or(""),
                p["description"].as_str().unwrap_or("")
            );
            Some((lon, lat, p["level"] == "major", label))
        })
        .collect()
}

/// Fits the points into the drawing, north up, centred, with a margin (one place, or several
/// close together, sit in the middle).
pub fn project(points: Vec<(f64, f64, bool, String)>) -> Vec<MapPoint> {
    let (mut west, mut east, mut south, mut north) = (180.0f64, -180.0f64, 90.0f64, -90.0f64);
    for (lon, lat, _, _) in &points {
        west = west.min(*lon);
        east = east.max(*lon);
        south = south.min(*lat);
        north = north.max(*lat);
    }
    let span = (east - west).max(north - south).max(0.01);
    let (middle_lon, middle_lat) = ((west + east) / 2.0, (south + north) / 2.0);
    points
        .into_iter()
        .map(|(lon, lat, major, label)| MapPoint {
            x: 300 + ((lon - middle_lon) / span * 560.0).round() as i64,
            y: 200 - ((lat - middle_lat) / span * 360.0).round() as i64,
            major,
            label,
        })
        .collect()
}

pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    // The points come with the drawing and the GeoJSON: the page itself reads nothing.
    let page = MapPage {
        frame: Frame::new(&visitor, "/console/map", None),
        tiles: state.config.map_tiles.clone().unwrap_or_default(),
    };
    Ok(html(StatusCode::OK, page.render()))
}

/// `GET /console/map/points.svg`: the points drawn by the server, for the page without
/// JavaScript (Leaflet replaces it when scripts run).
pub async fn drawing(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let collection = map_api::open_hazards(&state, visitor.caller, open_hazards()).await?;
    let located = placed(&collection.features);
    let drawing = MapDrawing {
        unplaced: collection.features.len() - located.len(),
        truncated: collection.truncated,
        points: project(located),
    };
    match drawing.render() {
        Ok(svg) => Ok(HttpResponse::Ok()
            .content_type("image/svg+xml; charset=utf-8")
            .insert_header(("Cache-Control", "private, no-store"))
            .body(svg)),
        Err(e) => Err(PageError::internal(e)),
    }
}

/// `GET /console/map/hazards.geojson`: what Leaflet draws.
pub async fn features(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, PageError> {
    let collection = map_api::open_hazards(&state, visitor.caller, open_hazards()).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .insert_header(("Cache-Control", "private, no-store"))
        .json(collection))
}

#[cfg(test)]
mod tests {
    use super::project;

    #[test]
    fn points_keep_north_up_inside_the_drawing() {
        let points = project(vec![
            (115.0, 25.8, true, "a".into()),
            (115.2, 26.0, false, "b".into()),
        ]);
        assert!(points[1].x > points[0].x, "east is right");
        assert!(points[1].y < points[0].y, "north is up");
        for p in &points {
            assert!((0..=600).contains(&p.x) && (0..=400).contains(&p.y));
        }
        let one = project(vec![(115.0, 25.8, true, "a".into())]);
        assert_eq!(
            (one[0].x, one[0].y),
            (300, 200),
            "a single place sits in the middle"
        );
    }
}
