//! `GET /console/stats`: the report's sentence written from the data, the figures, and charts by
//! sector and by month, from the same computation as `GET /api/v1/stats`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::charts::{BarChart, bar_chart};
use super::{Frame, PageError, Visitor, html};
use crate::AppState;
use crate::auth::Role;
use crate::auth::scope::Scope;
use crate::db;
use crate::stats::api::{self as stats_api, StatsQuery};
use crate::stats::figures::{Figures, GroupBy};

#[derive(Debug, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    region: String,
}

#[derive(Template)]
#[template(path = "console/stats.html")]
struct StatsPage {
    frame: Frame,
    form: PeriodForm,
    period: String,
    sentence: String,
    totals: Figures,
    rate: String,
    by_sector: BarChart,
    by_month: BarChart,
}

/// A percentage with one decimal, as the reports print it (95.5%).
fn percent(numerator: i64, denominator: i64) -> String {
    if denominator == 0 {
        return "—".into();
    }
    let tenths = (numerator * 1000 + denominator / 2) / denominator;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// Fen as 万元 with two decimals (2,236,500 元 = 223.65万元).
fn ten_thousand_yuan(fen: i64) -> String {
    let hundredths = (fen + 5_000) / 10_000;
    format!("{}.{:02}万元", hundredths / 100, hundredths % 100)
}

/// The sentence a bureau's report opens its figures with.
pub fn report_sentence(f: &Figures) -> String {
    let mut sentence = format!(
        "检查单位{}家次，排查隐患{}条，整治到位{}条，整改率{}",
        f.inspections,
        f.hazards_found,
        f.hazards_rectified,
        percent(f.hazards_rectified, f.hazards_found)
    );
    if f.major_hazards_found > 0 {
        sentence += &format!(
            "，其中重大隐患{}条，整治到位{}条",
            f.major_hazards_found, f.major_hazards_rectified
        );
    }
    let by_kind = &f.enterprises_by_kind;
    if by_kind.suspension > 0 {
        sentence += &format!("，责令停产整顿{}家", by_kind.suspension);
    }
    if by_kind.shutdown > 0 {
        sentence += &format!("，关闭取缔{}家", by_kind.shutdown);
    }
    if f.fines_total_fen > 0 {
        sentence += &format!("，经济处罚{}", ten_thousand_yuan(f.fines_total_fen));
    }
    sentence + "。"
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Query<PeriodForm>,
) -> Result<HttpResponse, PageError> {
    visitor.require(&[Role::Inspector, Role::Supervisor, Role::Admin])?;
    let form = form.into_inner();
    let query = StatsQuery {
        from: given(&form.from),
        to: given(&form.to),
        region: given(&form.region),
        sector: None,
        group_by: None,
    };
    let selection = stats_api::selection(&query, Scope::of(&visitor.caller))?;
    // Grouped answers carry the totals too; the two run side by side on two connections.
    let (for_sectors, for_months) = (selection.clone(), selection.clone());
    let (pool_a, pool_b) = (state.pool.clone(), state.pool.clone());
    let (by_sector, by_month) = futures_util::future::join(
        db::run(&state.pool, move |conn| {
            stats_api::compute(conn, &pool_a, &for_sectors, Some(GroupBy::Sector))
        }),
        db::run(&state.pool, move |conn| {
            stats_api::compute(conn, &pool_b, &for_months, Some(GroupBy::Month))
        }),
    )
    .await;
    let ((totals, sectors), (_, months)) = (by_sector?, by_month?);
    let groups = |groups: Vec<stats_api::Group>| {
        groups
            .into_iter()
            .filter(|g| g.figures.hazards_found > 0)
            .map(|g| {
                let label = g.name.unwrap_or(g.key);
                (label, g.figures.hazards_found, g.figures.hazards_rectified)
            })
            .collect()
    };
    let offset = crate::calendar::offset();
    let shown =
        |at: chrono::NaiveDateTime| at.and_utc().with_timezone(&offset).format("%Y年%-m月%-d日");
    let last_day = selection.to - chrono::Duration::seconds(1);
    let page = StatsPage {
        frame: Frame::new(&visitor, "/console/stats", None),
        period: format!("{}至{}", shown(selection.from), shown(last_day)),
        sentence: report_sentence(&totals),
        rate: percent(totals.hazards_rectified, totals.hazards_found),
        by_sector: bar_chart("按行业领域", groups(sectors)),
        by_month: bar_chart("按月份", groups(months)),
        totals,
        form,
    };
    Ok(html(StatusCode::OK, page.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sentence_reads_like_the_bureaus_report() {
        let mut figures = Figures {
            inspections: 18985,
            hazards_found: 5985,
            hazards_rectified: 5713,
            major_hazards_found: 9,
            major_hazards_rectified: 9,
            fines_total_fen: 223_650_000,
            ..Figures::default()
        };
        figures.enterprises_by_kind.suspension = 44;
        figures.enterprises_by_kind.shutdown = 1;
        assert_eq!(
            report_sentence(&figures),
            "检查单位18985家次，排查隐患5985条，整治到位5713条，整改率95.5%，其中重大隐患9条，整治到位9条，责令停产整顿44家，关闭取缔1家，经济处罚223.65万元。"
        );
        assert_eq!(percent(0, 0), "—");
        assert_eq!(percent(2, 3), "66.7%");
    }
}
