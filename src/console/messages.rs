//! What the console says, in Chinese: the names of statuses, levels and roles, and the reason
//! behind a refusal. The rules themselves stay in the domain; this only words their answers.

use crate::auth::Role;
use crate::error::{ApiError, FieldError};

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "管理员",
        Role::Supervisor => "监管人员",
        Role::Inspector => "检查员",
        Role::Enterprise => "企业",
    }
}

pub fn level_name(level: &str) -> &'static str {
    match level {
        "major" => "重大隐患",
        _ => "一般隐患",
    }
}

pub fn status_name(status: &str) -> &'static str {
    crate::hazard::workflow::Status::parse(status).map_or("未知", |s| s.name_zh())
}

pub fn listed_level_name(level: &str) -> &'static str {
    match level {
        "county" => "县级挂牌督办",
        "city" => "市级挂牌督办",
        "province" => "省级挂牌督办",
        _ => "挂牌督办",
    }
}

/// The Chinese label of a request field, as the console's forms name it.
fn field_label(field: &str) -> &str {
    match field {
        "note" => "说明",
        "photo_ids" | "photo" | "file" => "整改照片",
        "reason" => "延期理由",
        "requested_deadline" => "申请延期至",
        "username" => "用户名",
        "password" => "密码",
        "display_name" => "姓名",
        "credit_code" => "统一社会信用代码",
        "name" => "名称",
        "region_code" => "所属区域",
        "sector" | "sector_code" => "行业领域",
        "level" => "等级",
        "url" => "地址",
        "version" => "页面",
        "enterprise_id" => "企业",
        other => other,
    }
}

/// The rule a field broke, in Chinese where the console's forms can break it.
fn rule(message: &str) -> String {
    if message == "must be the version the page showed" {
        "已过期，请刷新后重试".into()
    } else if message.starts_with("is required") {
        "必须填写".into()
    } else if let Some(limit) = message
        .strip_prefix("must be 1-")
        .and_then(|m| m.strip_suffix(" characters"))
    {
        format!("须为 1–{limit} 个字")
    } else if message.starts_with("must be later than the current deadline") {
        "须晚于当前整改期限和今天".into()
    } else if let Some(days) = message
        .strip_prefix("may be at most ")
        .and_then(|m| m.split_once(" days after the current deadline"))
    {
        format!("最多比当前整改期限延后 {} 天", days.0)
    } else if message.contains("check character") {
        format!("校验位不符（{message}）；确属登记机关颁发的代码，请填写登记理由")
    } else {
        message.to_owned()
    }
}

fn fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}：{}", field_label(&e.field), rule(&e.message)))
        .collect::<Vec<_>>()
        .join("；")
}

/// Why the request did not go through, for a person.
pub fn explain(error: &ApiError) -> String {
    match error {
        ApiError::TransitionRefused { detail_zh, .. } => format!("操作未执行：{detail_zh}。"),
        ApiError::Validation { errors, .. } => format!("填写有误：{}", fields(errors)),
        ApiError::RuleBroken { field, detail, .. } => {
            format!("不符合规定：{}：{detail}", field_label(field))
        }
        ApiError::Unauthenticated {
            code: "invalid_credentials",
            ..
        } => "用户名或密码错误，或账号已停用。".into(),
        ApiError::Unauthenticated { .. } => "请先登录。".into(),
        ApiError::Forbidden(_) => "您的角色不能进行此操作。".into(),
        ApiError::NotFound(_) | ApiError::NoRoute(_) => "没有找到，或不在您的管辖范围内。".into(),
        ApiError::Conflict {
            code: "hazard_changed",
            ..
        }
        | ApiError::PreconditionFailed(_) => {
            "这条隐患刚被其他人处理过，请刷新页面查看最新状态后再操作。".into()
        }
        ApiError::Conflict {
            code: "already_decided",
            ..
        } => "这项延期申请已经处理过了。".into(),
        ApiError::Conflict {
            code: "extension_pending",
            ..
        } => "已有一项延期申请在等待审批。".into(),
        ApiError::Conflict {
            code: "extension_not_allowed",
            ..
        } => "这条隐患现在不能延期：只有待整改的隐患可以申请，已销号或已撤销的隐患不能批准延期。"
            .into(),
        ApiError::Conflict {
            code: "listing_not_allowed",
            ..
        } => "隐患已销号或已撤销，不再督办。".into(),
        ApiError::Conflict {
            code: "already_exists",
            ..
        } => "已经登记过了（用户名或统一社会信用代码重复）。".into(),
        ApiError::Conflict { detail, .. } => format!("当前不能这样操作：{detail}"),
        ApiError::TooManyRequests { retry_after_secs } => {
            format!(
                "尝试次数过多，请 {} 分钟后再试。",
                retry_after_secs.div_ceil(60)
            )
        }
        ApiError::PayloadTooLarge(_) => "照片太大，请拍一张较小的照片。".into(),
        ApiError::UnsupportedMediaType(_) => {
            "照片格式不支持：请上传 JPEG、PNG 或 WebP 照片。".into()
        }
        ApiError::Unavailable(_) => "服务暂时不可用，请稍后再试。".into(),
        ApiError::Internal(_) => "服务器内部错误，请稍后再试；如仍出错，请联系管理员。".into(),
        other => format!("请求有误：{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_the_loops_reason() {
        let refusal = ApiError::TransitionRefused {
            detail: "closure (销号) is decided by a supervisor".into(),
            detail_zh: "销号由监管人员决定".into(),
            allowed: vec![],
        };
        assert_eq!(explain(&refusal), "操作未执行：销号由监管人员决定。");
    }

    #[test]
    fn fields_are_named_as_the_form_names_them() {
        let error =
            ApiError::validation("note", "is required for `reject_closure`: give the reason");
        assert_eq!(explain(&error), "填写有误：说明：必须填写");
        let long = ApiError::validation("reason", "must be 1-2000 characters");
        assert_eq!(explain(&long), "填写有误：延期理由：须为 1–2000 个字");
        let wait = ApiError::TooManyRequests {
            retry_after_secs: 61,
        };
        assert_eq!(explain(&wait), "尝试次数过多，请 2 分钟后再试。");
    }
}
