//! 企业微信 and 钉钉 group robots: each event as one line of Chinese, and a burst of them
//! folded into one digest, since both robots take 20 messages a minute.
//!
//! "【隐患逾期】赣县王母渡烟花爆竹有限公司 · 液氨储罐报警失效 · 整改期限 12月3日 · 已逾期2天"

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Utc};
use serde_json::{Value, json};

use super::signing;

/// The label each event type is announced with.
pub fn label(event_type: &str) -> &'static str {
    match event_type {
        "hazard.reported" => "新隐患",
        "hazard.rectification_submitted" => "待复查",
        "hazard.verified" => "待销号",
        "hazard.verification_failed" => "复查不通过",
        "hazard.closed" => "已销号",
        "hazard.closure_rejected" => "销号驳回",
        "hazard.cancelled" => "隐患撤销",
        "hazard.deadline_approaching" => "整改即将到期",
        "hazard.overdue" => "隐患逾期",
        "hazard.listed" => "挂牌督办",
        "hazard.extension_requested" => "延期申请",
        "hazard.extension_decided" => "延期批复",
        "inspection.submitted" => "检查完成",
        "enforcement_action.issued" => "执法文书",
        "ping" => "连接测试",
        "digest" => "每日简报",
        _ => "通知",
    }
}

fn beijing(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8 is valid"))
}

/// One event as one line, from its Standard Webhooks body.
pub fn line(body: &Value, now: NaiveDateTime) -> String {
    let event_type = body["type"].as_str().unwrap_or_default();
    let data = &body["data"];
    if event_type == "digest" {
        return digest_line(data);
    }
    let text = |key: &str| data[key].as_str().unwrap_or_default().to_owned();
    let mut parts = Vec::new();
    for key in ["enterprise_name", "description"] {
        if !text(key).is_empty() {
            parts.push(text(key));
        }
    }
    if let Some(deadline) = data["deadline"]
        .as_str()
        .and_then(|d| d.parse::<DateTime<Utc>>().ok())
    {
        let local = beijing(deadline);
        parts.push(format!("整改期限 {}月{}日", local.month(), local.day()));
        let today = beijing(now.and_utc()).date_naive();
        let late = (today - local.date_naive()).num_days();
        if data["status"] == "open" && deadline < now.and_utc() {
            parts.push(format!("已逾期{}天", late.max(1)));
        }
    }
    match event_type {
        "hazard.listed" => parts.push(format!(
            "{}挂牌",
            match data["listed_level"].as_str() {
                Some("province") => "省级",
                Some("city") => "市级",
                _ => "县级",
            }
        )),
        "hazard.extension_decided" => parts.push(
            if data["detail"]["approve"] == true || data["action"] == "approve_extension" {
                "已批准".into()
            } else {
                "已驳回".into()
            },
        ),
        "enforcement_action.issued" => parts.push(text("document_no")),
        "inspection.submitted" => parts.push(format!("检查编号 {}", text("inspection_id"))),
        "ping" => parts.push("safeloop 已连接".into()),
        _ => {}
    }
    format!("【{}】{}", label(event_type), parts.join(" · "))
}

/// "【每日简报】12月1日 · 待整改 12 条（逾期 3 条） · 待复查 4 条 · …"
fn digest_line(data: &Value) -> String {
    let waiting = |kind: &str| data["waiting"][kind].as_i64().unwrap_or(0);
    format!(
        "【每日简报】{}月{}日 · 待整改 {} 条（逾期 {} 条） · 待复查 {} 条 · 待销号 {} 条 · 待批延期 {} 条 · 重大隐患待挂牌 {} 条",
        data["month"],
        data["date"],
        waiting("submit_rectification"),
        data["overdue"].as_i64().unwrap_or(0),
        waiting("verify"),
        waiting("decide_closure"),
        waiting("decide_extension"),
        waiting("set_listing"),
    )
}

/// The most bytes a message's markdown may take (WeCom takes 4096; DingTalk more).
pub const MAX_BYTES: usize = 3800;

/// The most characters one line may take in a message.
const LINE_CHARS: usize = 160;

fn shortened(line: &str) -> String {
    if line.chars().count() <= LINE_CHARS {
        return line.to_owned();
    }
    let mut short: String = line.chars().take(LINE_CHARS - 1).collect();
    short.push('…');
    short
}

/// The title and markdown of one message for `lines`: the line itself, or a digest, within
/// `MAX_BYTES` (lines cut to `LINE_CHARS`, the rest counted).
pub fn message(lines: &[String]) -> (String, String) {
    const SHOWN: usize = 30;
    let lines: Vec<String> = lines.iter().map(|l| shortened(l)).collect();
    if let [one] = lines.as_slice() {
        let title = one
            .split('】')
            .next()
            .unwrap_or("safeloop")
            .trim_start_matches('【')
            .to_owned();
        return (title, one.clone());
    }
    let mut text = format!("#### safeloop 通知汇总（{}条）\n", lines.len());
    for line in lines.iter().take(SHOWN) {
        text.push_str(&format!("- {line}\n"));
    }
    if lines.len() > SHOWN {
        text.push_str(&format!(
            "- …另有{}条，请登录系统查看\n",
            lines.len() - SHOWN
        ));
    }
    (format!("safeloop 通知汇总（{}条）", lines.len()), text)
}

pub fn wecom_body(text: &str) -> String {
    json!({"msgtype": "markdown", "markdown": {"content": text}}).to_string()
}

pub fn dingtalk_body(title: &str, text: &str) -> String {
    json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}}).to_string()
}

/// The robot URL with DingTalk's `timestamp` and `sign` for `secret`.
pub fn dingtalk_url(url: &str, secret: &str, timestamp_ms: i64) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}timestamp={timestamp_ms}&sign={}",
        signing::dingtalk_sign(secret, timestamp_ms)
    )
}

/// Whether a robot's answer (HTTP 200 either way) accepted the message: `errcode` 0.
pub fn accepted(answer: &str) -> bool {
    serde_json::from_str::<Value>(answer).is_ok_and(|v| v["errcode"] == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        text.parse::<DateTime<Utc>>().unwrap().naive_utc()
    }

    #[test]
    fn an_overdue_hazard_reads_as_the_bureau_writes_it() {
        let body = json!({"type": "hazard.overdue", "data": {
            "enterprise_name": "某某公司", "description": "液氨储罐报警失效",
            "deadline": "2026-12-02T16:00:00Z", "status": "open",
        }});
        assert_eq!(
            line(&body, at("2026-12-05T02:00:00Z")),
            "【隐患逾期】某某公司 · 液氨储罐报警失效 · 整改期限 12月3日 · 已逾期2天"
        );
    }

    #[test]
    fn the_morning_digest_counts_what_waits() {
        let body = json!({"type": "digest", "data": {
            "month": 12, "date": 1, "overdue": 3,
            "waiting": {"submit_rectification": 12, "verify": 4, "decide_closure": 2, "decide_extension": 1, "set_listing": 0},
        }});
        assert_eq!(
            line(&body, at("2026-12-01T01:00:00Z")),
            "【每日简报】12月1日 · 待整改 12 条（逾期 3 条） · 待复查 4 条 · 待销号 2 条 · 待批延期 1 条 · 重大隐患待挂牌 0 条"
        );
    }

    #[test]
    fn a_burst_is_one_digest() {
        let lines: Vec<String> = (0..100).map(|i| format!("【新隐患】第{i}条")).collect();
        let (title, text) = message(&lines);
        assert_eq!(title, "safeloop 通知汇总（100条）");
        assert!(
            text.contains("第0条") && text.contains("另有70条"),
            "{text}"
        );
        let (title, text) = message(&lines[..1]);
        assert_eq!(
            (title.as_str(), text.as_str()),
            ("新隐患", "【新隐患】第0条")
        );
    }

    #[test]
    fn robot_answers_and_urls() {
        assert!(accepted(r#"{"errcode":0,"errmsg":"ok"}"#));
        assert!(!accepted(
            r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#
        ));
        let url = dingtalk_url(
            "https://oapi.dingtalk.com/robot/send?access_token=abc",
            "SEC1",
            1000,
        );
        assert!(url.starts_with(
            "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1000&sign="
        ));
    }
}
