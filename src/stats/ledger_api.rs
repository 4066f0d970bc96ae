//! `GET /api/v1/hazards/export`: the hazard ledger (台账) as CSV or XLSX, streamed.
//!
//! The first batch is read before answering, so a bad filter or an unreachable database is a
//! proper problem+json; the rest is read on a blocking thread and handed to the response
//! through a small bounded channel, so a slow client slows the reading, not the memory.

use std::io::{self, Write};

use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use super::ledger::{self, LedgerLine, Names};
use super::sheet::{CsvSheet, LedgerSheet, XlsxSheet};
use crate::AppState;
use crate::auth::scope::Scope;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbPool};
use crate::error::{ApiError, Problem};
use crate::hazard::api::HazardQuery;
use crate::hazard::model::HazardFilter;
use crate::hazard::report::HazardLevel;
use crate::pagination::Cursor;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// UTF-8 with a byte order mark, so Excel opens the Chinese correctly.
    #[default]
    Csv,
    Xlsx,
}

/// The hazard list's filters, and the format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    #[param(value_type = Option<crate::hazard::workflow::Status>)]
    pub status: Option<String>,
    pub level: Option<HazardLevel>,
    pub overdue: Option<bool>,
    pub listed: Option<bool>,
    pub enterprise_id: Option<uuid::Uuid>,
    pub sector: Option<String>,
    pub region: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl ExportQuery {
    fn into_filter(self) -> Result<HazardFilter, ApiError> {
        HazardQuery {
            status: self.status,
            level: self.level,
            overdue: self.overdue,
            listed: self.listed,
            enterprise_id: self.enterprise_id,
            sector: self.sector,
            region: self.region,
            updated_since: self.updated_since,
            cursor: None,
            limit: None,
        }
        .into_filter()
    }
}

/// Bytes gathered before a chunk goes out.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for the client at most.
const QUEUE: usize = 4;

/// A `Write` that hands full chunks to the response; fails once the client has gone.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

struct Export {
    pool: DbPool,
    scope: Scope,
    filter: HazardFilter,
    names: Names,
    now: chrono::NaiveDateTime,
}

impl Export {
    /// Writes every line, batch after batch, starting with the one already read.
    fn write(
        mut self,
        sheet: &mut dyn LedgerSheet,
        first: Vec<LedgerLine>,
        mut next: Option<Cursor>,
    ) -> io::Result<()> {
        for line in &first {
            sheet.line(line)?;
        }
        drop(first);
        while let Some(cursor) = next {
            self.filter.after = Some(cursor);
            let mut conn = self.pool.checkout().map_err(io::Error::other)?;
            let (lines, after) = ledger::batch(
                &mut conn,
                &self.scope,
                &self.filter,
                &mut self.names,
                self.now,
            )
            .map_err(|e| io::Error::other(e.to_string()))?;
            drop(conn);
            for line in &lines {
                sheet.line(line)?;
            }
            next = after;
        }
        Ok(())
    }
}

fn produce(
    export: Export,
    format: ExportFormat,
    first: Vec<LedgerLine>,
    next: Option<Cursor>,
    tx: mpsc::Sender<io::Result<Bytes>>,
) {
    let failed = tx.clone();
    let out = ChannelWriter {
        tx,
        buf: Vec::with_capacity(CHUNK),
    };
    let result = (|| {
        let mut sheet: Box<dyn LedgerSheet> = match format {
            ExportFormat::Csv => Box::new(CsvSheet::new(out)?),
            ExportFormat::Xlsx => Box::new(XlsxSheet::new(out)?),
        };
        export.write(sheet.as_mut(), first, next)?;
        sheet.finish()
    })();
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            tracing::info!("ledger export abandoned by the client")
        }
        Err(e) => {
            tracing::error!(error = %e, "ledger export failed part way; the response is cut short");
            let _ = failed.blocking_send(Err(e));
        }
    }
}

fn disposition(format: ExportFormat) -> ContentDisposition {
    let date = Utc::now()
        .with_timezone(&crate::calendar::offset())
        .format("%Y-%m-%d");
    let extension = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
    };
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(format!("hazard-ledger-{date}.{extension}")),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: format!("隐患台账-{date}.{extension}").into_bytes(),
            }),
        ],
    }
}

/// The hazard ledger (隐患台账) with the list's filters, as CSV (UTF-8 with BOM) or XLSX, newest
/// first, streamed. Columns: 隐患编号, 企业名称, 统一社会信用代码, 行业领域, 所属区域, 隐患等级,
/// 隐患描述, 发现日期, 整改期限, 整改责任人, 整改状态, 整改完成日期, 销号日期, 逾期天数 (whole days
/// past the deadline until rectified, or until now), 挂牌督办. Dates are China Standard Time.
#[utoipa::path(
    tag = "statistics",
    params(ExportQuery),
    responses(
        (status = 200, description = "the ledger", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/hazards/export")]
pub async fn export_hazards(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    ledger(&state, caller, query.into_inner()).await
}

/// The ledger as the caller may read it: the export endpoint's answer, also the console's.
pub async fn ledger(
    state: &AppState,
    caller: AuthUser,
    query: ExportQuery,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Supervisor, Role::Admin])?;
    let format = query.format.unwrap_or_default();
    let filter = query.into_filter()?;
    let scope = Scope::of(&caller);
    let now = db::now();
    let (first_scope, first_filter) = (scope.clone(), filter.clone());
    let (names, first, next) = db::run(&state.pool, move |conn| {
        let mut names = Names::load(conn)?;
        let (lines, next) = ledger::batch(conn, &first_scope, &first_filter, &mut names, now)?;
        Ok((names, lines, next))
    })
    .await?;
    let export = Export {
        pool: state.pool.clone(),
        scope,
        filter,
        names,
        now,
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::task::spawn_blocking(move || produce(export, format, first, next, tx));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition(format)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}
