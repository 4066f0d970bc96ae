//! Bar charts drawn on the server as SVG: found and rectified hazards per group, readable with
//! JavaScript off and at any width (the chart scales with its `viewBox`).

/// One group's two bars.
pub struct BarRow {
    pub label: String,
    pub found: i64,
    pub rectified: i64,
    /// Where the row sits and how long its bars are, in the chart's own units.
    pub y: i64,
    pub found_width: i64,
    pub rectified_width: i64,
}

pub struct BarChart {
    pub title: String,
    pub height: i64,
    pub rows: Vec<BarRow>,
}

/// Width of the label column and of the longest bar, in the chart's units (total 600).
pub const LABEL_WIDTH: i64 = 150;
pub const BAR_SPACE: i64 = 380;
const ROW_HEIGHT: i64 = 34;

/// The chart of `groups` as (label, found, rectified), scaled to the largest count.
pub fn bar_chart(title: &str, groups: Vec<(String, i64, i64)>) -> BarChart {
    let largest = groups
        .iter()
        .map(|g| g.1.max(g.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = |n: i64| (n * BAR_SPACE + largest - 1) / largest;
    let rows: Vec<BarRow> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (label, found, rectified))| BarRow {
            y: 24 + i as i64 * ROW_HEIGHT,
            found_width: scale(found),
            rectified_width: scale(rectified),
            label,
            found,
            rectified,
        })
        .collect();
    BarChart {
        title: title.to_owned(),
        height: 32 + rows.len() as i64 * ROW_HEIGHT,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_count() {
        let chart = bar_chart(
            "按行业领域",
            vec![("非煤矿山".into(), 200, 150), ("危险化学品".into(), 100, 0)],
        );
        assert_eq!(chart.rows[0].found_width, BAR_SPACE);
        assert_eq!(chart.rows[0].rectified_width, BAR_SPACE * 3 / 4);
        assert_eq!(chart.rows[1].found_width, BAR_SPACE / 2);
        assert_eq!(chart.rows[1].rectified_width, 0);
        assert!(chart.rows[1].y > chart.rows[0].y);
        let empty = bar_chart("空", vec![]);
        assert!(empty.rows.is_empty() && empty.height > 0);
    }
}
