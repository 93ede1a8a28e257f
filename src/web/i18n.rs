//! The pages' words in 简体中文 (the default) and English. Templates read them as `m.key`.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A page language. Chinese first: a page is in English only when asked (`?lang=en`, then a
/// cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(raw: &str) -> Option<Lang> {
        match raw {
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The `lang` attribute and cookie value.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// All messages in this language.
    pub fn messages(self) -> &'static HashMap<&'static str, &'static str> {
        static ZH: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
        static EN: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
        let (cell, column) = match self {
            Lang::Zh => (&ZH, 1),
            Lang::En => (&EN, 2),
        };
        cell.get_or_init(|| {
            MESSAGES
                .iter()
                .map(|row| (row[0], if column == 1 { row[1] } else { row[2] }))
                .collect()
        })
    }

    /// One message (the key itself when unknown, so that a missing word shows, not breaks).
    pub fn t(self, key: &'static str) -> &'static str {
        self.messages().get(key).copied().unwrap_or(key)
    }
}

/// key, 简体中文, English
const MESSAGES: &[[&str; 3]] = &[
    [
        "site_name",
        "民心网 · 8890 诉求平台",
        "Minxin · 8890 appeal platform",
    ],
    ["switch_lang", "English", "简体中文"],
    ["nav_file", "我要反映", "File an appeal"],
    ["nav_track", "查询进度", "Track an appeal"],
    ["nav_public", "公开通报", "Public report"],
    ["nav_staff", "工作人员登录", "Staff login"],
    ["nav_workbench", "工作台", "Workbench"],
    ["nav_logout", "退出登录", "Log out"],
    ["skip_to_content", "跳到正文", "Skip to content"],
    // filing
    ["file_title", "反映诉求", "File an appeal"],
    [
        "file_intro",
        "请如实填写。带 * 的为必填项。我们会在受理后给出查询编号和查询码。",
        "Please fill in truthfully. Fields marked * are required. You will get a tracking number and an access code.",
    ],
    ["appellant_kind", "诉求人类型", "You are"],
    ["citizen", "个人", "a resident"],
    ["enterprise", "企业", "an enterprise"],
    ["kind", "诉求类型", "Kind of appeal"],
    ["kind_consultation", "咨询", "Consultation"],
    ["kind_help", "求助", "Request for help"],
    ["kind_complaint", "投诉", "Complaint"],
    ["kind_report", "举报", "Report"],
    ["kind_suggestion", "建议", "Suggestion"],
    ["category", "问题分类", "Category"],
    [
        "category_hint",
        "输入关键词搜索，如“供热”",
        "Type to search, e.g. heating",
    ],
    ["category_none", "不清楚", "Not sure"],
    ["district", "区县", "District"],
    ["street", "街道（乡镇）", "Street / township"],
    ["community", "社区（村）", "Community / village"],
    ["choose", "请选择", "Choose"],
    ["optional_choose", "（可不选）", "(optional)"],
    ["address", "详细地址", "Address"],
    ["title", "标题", "Title"],
    ["content", "诉求内容", "What happened"],
    [
        "content_hint",
        "请写清时间、地点和问题",
        "When, where and what",
    ],
    ["name", "姓名", "Name"],
    ["phone", "手机号码", "Mobile phone"],
    ["email", "电子邮箱", "E-mail"],
    ["email_hint", "填写后可收到进度通知", "For progress notices"],
    ["enterprise_name", "企业名称", "Enterprise name"],
    [
        "credit_code",
        "统一社会信用代码",
        "Unified social credit code",
    ],
    [
        "confidential",
        "保密（承办部门看不到我的姓名和电话）",
        "Confidential (departments will not see my name and phone)",
    ],
    ["submit", "提交", "Submit"],
    [
        "form_has_errors",
        "请修改标出的内容后再提交。",
        "Please correct the marked field and submit again.",
    ],
    ["field_problem", "请填写或更正", "Please fill in or correct"],
    [
        "hint_phone",
        "手机号如 13812341234，座机如 0412-5551234。",
        "A mobile number such as 13812341234, or a landline such as 0412-5551234.",
    ],
    [
        "hint_credit_code",
        "18位统一社会信用代码，见营业执照。",
        "The 18-character code on the business licence.",
    ],
    ["hint_title", "不超过100字。", "At most 100 characters."],
    ["photos", "照片", "Photos"],
    [
        "photos_hint",
        "可不传；最多 {count} 张，每张不超过 {mb} MB，JPG、PNG 或 WebP 格式",
        "Optional: up to {count}, at most {mb} MB each, JPEG, PNG or WebP",
    ],
    [
        "photos_again",
        "浏览器不能替您保留已选的照片：如需附照片，请重新选择。",
        "The browser cannot keep the photos you chose: to attach them, please choose them again.",
    ],
    [
        "photo_too_large",
        "照片太大：每张不能超过 {mb} MB。",
        "A photo is too large: at most {mb} MB each.",
    ],
    [
        "photo_not_image",
        "只能附 JPG、PNG 或 WebP 格式的照片（按文件内容判断，与文件名无关）。",
        "Only JPEG, PNG or WebP photos can be attached (judged by the file's content, not its name).",
    ],
    [
        "photo_too_many",
        "最多只能附 {count} 张照片。",
        "At most {count} photos can be attached.",
    ],
    ["photo_n", "照片 {n}", "Photo {n}"],
    ["attached_photos", "所附照片", "Photos attached"],
    ["photo_count", "{n} 张", "{n}"],
    [
        "receipt_photos",
        "已随诉求收到 {n} 张照片。",
        "{n} photo(s) received with the appeal.",
    ],
    // receipt
    ["receipt_title", "已受理", "Received"],
    [
        "receipt_intro",
        "您的诉求已受理。请记下查询编号和查询码，凭它们查询进度和评价办理结果。",
        "Your appeal has been received. Keep the tracking number and access code: you need both to follow it and to rate the result.",
    ],
    ["tracking_no", "查询编号", "Tracking number"],
    ["access_code", "查询码", "Access code"],
    [
        "keep_note",
        "查询码只显示这一次，请截图或抄下。",
        "The access code is shown only this once: write it down or take a screenshot.",
    ],
    ["track_now", "查看进度", "Track it now"],
    // tracking
    ["track_title", "查询诉求进度", "Track an appeal"],
    [
        "track_intro",
        "输入受理时给您的查询编号和查询码。",
        "Enter the tracking number and access code you were given.",
    ],
    ["track_submit", "查询", "Show"],
    [
        "not_found_pair",
        "查询编号和查询码不匹配。",
        "No appeal matches this tracking number and access code.",
    ],
    ["status", "状态", "Status"],
    [
        "status_submitted",
        "已受理，待派单",
        "Received, awaiting dispatch",
    ],
    [
        "status_dispatched",
        "已派单，待签收",
        "Sent to a department",
    ],
    ["status_in_progress", "办理中", "Being handled"],
    ["status_suspended", "暂停办理", "On hold"],
    [
        "status_resolved",
        "已答复，待评价",
        "Answered, awaiting your rating",
    ],
    ["status_closed", "已办结", "Closed"],
    ["status_rejected", "不予受理", "Not accepted"],
    ["status_merged", "已合并", "Merged"],
    ["lead_department", "承办单位", "Handled by"],
    ["sign_due", "签收期限", "Sign by"],
    ["reply_due", "回复期限", "Reply due"],
    ["received_at", "受理时间", "Received"],
    ["replies", "答复", "Answers"],
    ["timeline", "办理过程", "Steps"],
    ["no_replies", "尚无答复。", "No answer yet."],
    ["follow_up_title", "评价办理结果", "Rate the result"],
    [
        "follow_up_intro",
        "请告诉我们办理情况，评价后将关闭或退回重办。",
        "Tell us how it went: the appeal is closed, or sent back to be handled again.",
    ],
    [
        "contacted",
        "承办单位是否与您联系？",
        "Did the department contact you?",
    ],
    ["solved", "问题是否解决？", "Was the problem solved?"],
    ["yes", "是", "Yes"],
    ["no", "否", "No"],
    ["satisfaction", "满意度", "Satisfaction"],
    ["very_satisfied", "非常满意", "Very satisfied"],
    ["satisfied", "满意", "Satisfied"],
    ["basically_satisfied", "基本满意", "Basically satisfied"],
    ["dissatisfied", "不满意", "Dissatisfied"],
    ["very_dissatisfied", "非常不满意", "Very dissatisfied"],
    ["comment", "意见（可选）", "Comment (optional)"],
    ["follow_up_submit", "提交评价", "Send rating"],
    [
        "follow_up_thanks",
        "感谢您的评价。",
        "Thank you for your rating.",
    ],
    ["follow_up_due", "评价截止", "Rate by"],
    // staff
    ["login_title", "工作人员登录", "Staff login"],
    ["username", "用户名", "Username"],
    ["password", "密码", "Password"],
    ["login_submit", "登录", "Log in"],
    [
        "login_failed",
        "用户名或密码错误。",
        "Wrong username or password.",
    ],
    [
        "login_locked",
        "密码错误次数过多，账号已暂时锁定，请稍后再试或联系管理员。",
        "Too many wrong passwords: the account is locked for a while. Try again later or ask an administrator.",
    ],
    ["minutes", "分钟", "minutes"],
    [
        "session_expired",
        "登录已过期，请重新登录。",
        "Your session has expired: please log in again.",
    ],
    ["queue_title", "待办工单", "Queue"],
    ["tab_to_sign", "待签收", "To sign"],
    ["tab_in_progress", "办理中", "In progress"],
    ["tab_due_soon", "即将到期", "Due soon"],
    ["tab_overdue", "已超期", "Overdue"],
    ["tab_suspended", "暂停中", "Suspended"],
    ["tab_awaiting_co", "待协办单位签收", "Awaiting co-handlers"],
    ["tab_all", "全部", "All"],
    ["sort_label", "排序", "Order"],
    ["sort_deadline", "期限最近的在前", "Nearest deadline first"],
    [
        "sort_deadline_last",
        "期限最远的在前",
        "Furthest deadline first",
    ],
    ["sort_newest", "最新受理的在前", "Newest first"],
    ["time_left", "剩余", "Left"],
    ["overdue_by", "已超期", "Overdue by"],
    ["empty_queue", "这里没有工单。", "Nothing here."],
    ["page", "页", "Page"],
    ["prev", "上一页", "Previous"],
    ["next", "下一页", "Next"],
    ["appeal", "工单", "Appeal"],
    ["appellant", "诉求人", "Appellant"],
    [
        "hidden_confidential",
        "（保密，不向承办单位显示）",
        "(confidential: not shown to departments)",
    ],
    ["actions", "办理", "Actions"],
    ["act_sign", "签收", "Sign"],
    ["act_return", "退单", "Return"],
    ["act_suspend", "挂起", "Suspend"],
    ["act_resume", "恢复办理", "Resume"],
    ["act_extension", "申请延期", "Ask for an extension"],
    ["act_note", "添加备注", "Add a note"],
    ["act_reply", "答复办结", "Reply"],
    ["reason", "理由", "Reason"],
    ["until", "延期至", "Until"],
    ["done_sign", "已签收。", "Signed."],
    ["done_return", "已退回问题池。", "Returned to the pool."],
    [
        "done_suspend",
        "已挂起，计时暂停。",
        "Suspended; the clock is paused.",
    ],
    ["done_resume", "已恢复办理。", "Resumed."],
    [
        "done_extension",
        "延期申请已提交，等待审批。",
        "Extension requested; awaiting approval.",
    ],
    ["done_note", "备注已添加。", "Note added."],
    [
        "done_reply",
        "已答复，等待诉求人评价。",
        "Replied; awaiting the appellant's rating.",
    ],
    ["notes", "备注", "Notes"],
    [
        "refused_409",
        "未能办理：工单状态已变化或不允许此操作，请刷新页面后再试。",
        "Not done: the appeal's state changed or does not allow this; reload the page and try again.",
    ],
    [
        "refused_403",
        "未能办理：您无权对该工单进行此操作。",
        "Not done: you may not do this to this appeal.",
    ],
    [
        "refused_422",
        "未能办理：请检查填写的内容。",
        "Not done: please check what you entered.",
    ],
    [
        "no_actions",
        "当前状态下没有您可以办理的操作。",
        "Nothing you can do in this state.",
    ],
    // public
    ["public_title", "公开通报", "Public report"],
    [
        "public_intro",
        "各承办单位本月诉求办理情况，按综合成绩排名。不含任何个人信息。",
        "This month's handling of appeals by department, ranked by composite score. No personal data.",
    ],
    ["month", "月份", "Month"],
    ["show", "查看", "Show"],
    ["rank", "排名", "Rank"],
    ["department", "承办单位", "Department"],
    ["received", "受理量", "Received"],
    ["closure_rate", "办结率", "Closure rate"],
    ["on_time_reply_rate", "按时答复率", "On-time reply rate"],
    ["response_rate", "响应率", "Response rate"],
    ["resolution_rate", "解决率", "Resolution rate"],
    ["satisfaction_rate", "满意率", "Satisfaction rate"],
    ["composite_score", "综合成绩", "Composite score"],
    ["city_wide", "全市合计", "City-wide"],
    ["no_data", "本期暂无数据。", "No data for this period."],
    // the appellant's timeline
    ["step_intake", "受理", "Received"],
    ["step_dispatch", "派单至承办单位", "Sent to the department"],
    [
        "step_refuse_return",
        "退单未获同意，继续办理",
        "Return refused; handling goes on",
    ],
    ["step_sign", "承办单位签收", "Signed by the department"],
    [
        "step_return",
        "承办单位退单，重新派单中",
        "Returned by the department; to be sent again",
    ],
    ["step_suspend", "暂停办理", "Put on hold"],
    ["step_resume", "恢复办理", "Resumed"],
    ["step_reply", "承办单位答复", "Answered by the department"],
    ["step_follow_up", "回访评价", "Rated"],
    ["step_reject", "不予受理", "Not accepted"],
    [
        "step_merge",
        "与相同诉求合并办理",
        "Merged with the same matter",
    ],
    ["step_extension_approve", "延期获批", "Extension approved"],
    ["step_close", "办结", "Closed"],
    [
        "step_close_unrated",
        "评价期满，自动办结",
        "Closed unrated after the rating window",
    ],
    // the dispatcher
    ["nav_pool", "问题池", "Pool"],
    ["pool_title", "问题池", "The pool"],
    ["pool_oldest_first", "最早的在前", "oldest first"],
    ["pool_why", "原因", "Why here"],
    ["pool_no_rule", "无匹配派单规则", "No routing rule matched"],
    [
        "pool_held_by_rule",
        "规则要求人工派单",
        "A rule holds it for a person",
    ],
    [
        "pool_returned",
        "承办单位退单",
        "Returned by the department",
    ],
    ["dispatch_due", "派单期限", "Dispatch by"],
    ["act_dispatch", "派单", "Dispatch"],
    ["act_reject", "不予受理", "Reject"],
    ["act_merge", "合并到主工单", "Merge into a primary"],
    ["done_dispatch", "已派单。", "Dispatched."],
    ["done_reject", "已不予受理。", "Rejected."],
    ["done_merge", "已合并。", "Merged."],
    ["lead", "主办单位", "Lead department"],
    [
        "co_departments",
        "协办单位（可多选）",
        "Co-handlers (any number)",
    ],
    ["deadline_class", "办理时限", "Deadline class"],
    [
        "by_rule",
        "按规则或默认",
        "As the rules say (or the default)",
    ],
    ["dc_urgent", "紧急", "Urgent"],
    ["dc_livelihood", "民生急事", "Livelihood"],
    ["dc_same_day", "当天办", "Same day"],
    ["dc_week", "当周办", "Within the week"],
    ["dc_complex", "专项办", "Complex"],
    ["disposition", "处置方式", "Disposition"],
    ["disp_transferred_110", "转110", "Transferred to 110"],
    ["disp_transferred_119", "转119", "Transferred to 119"],
    ["disp_transferred_120", "转120", "Transferred to 120"],
    ["disp_transferred_122", "转122", "Transferred to 122"],
    [
        "disp_legal_channel",
        "应通过法定途径解决",
        "Belongs to a legal channel",
    ],
    [
        "disp_duplicate_in_progress",
        "重复诉求，正在办理",
        "A duplicate being handled",
    ],
    ["disp_out_of_scope", "不属于受理范围", "Out of scope"],
    ["disp_malicious", "恶意诉求", "Malicious"],
    ["primary", "主工单查询编号", "Primary's tracking number"],
    ["duplicates", "疑似重复诉求", "Probable duplicates"],
    ["no_duplicates", "未发现疑似重复。", "None found."],
    ["similarity", "相似度", "Similarity"],
    ["explain", "派单规则解释", "What the routing rules say"],
    [
        "explain_lead",
        "规则建议的主办单位",
        "The rules' lead department",
    ],
    [
        "explain_none",
        "没有规则决定（留在问题池）",
        "No rule decides (it stays in the pool)",
    ],
    ["rule", "规则", "Rule"],
    ["outcome", "结果", "Outcome"],
    // administration
    ["nav_rules", "派单目录", "Routing rules"],
    ["rules_title", "派单目录（派单规则）", "The routing rules"],
    [
        "rules_intro",
        "规则按优先级从小到大匹配，第一条决定主办单位的规则生效。每次修改都会保存为新版本并记入管理日志。",
        "Rules match in priority order; the first that sets a lead department decides. Every change is kept as a new version and recorded in the administrative log.",
    ],
    ["rules_test", "测试派单", "Test the rules"],
    ["rules_test_submit", "看看派给谁", "Where would it go?"],
    ["rules_table", "当前规则", "Current rules"],
    ["priority", "优先级", "Priority"],
    ["conditions", "条件", "Conditions"],
    ["rule_action", "派单", "Action"],
    ["continues", "继续匹配", "continues"],
    ["disabled", "已停用", "disabled"],
    [
        "no_rules",
        "还没有规则：所有诉求进入问题池。",
        "No rules yet: every appeal goes to the pool.",
    ],
    ["nav_admin", "系统管理", "Administration"],
    ["admin_title", "系统管理", "Administration"],
    [
        "admin_intro",
        "维护承办单位、问题分类、行政区划、工作人员账号、工作日历和派单目录。每项修改都记入防篡改的管理日志。",
        "Keep departments, categories, divisions, staff accounts, the working calendar and the routing rules. Every change is recorded in the tamper-evident administrative log.",
    ],
    ["sec_departments", "承办单位", "Departments"],
    ["sec_categories", "问题分类", "Categories"],
    ["sec_divisions", "行政区划", "Divisions"],
    ["sec_users", "工作人员账号", "Staff accounts"],
    ["sec_api_keys", "接口密钥", "API keys"],
    [
        "api_keys_intro",
        "对接系统（Open311 客户端）用密钥提交诉求。密钥只在签发时显示一次，系统只保存其摘要。",
        "Integrations (Open311 clients) file appeals with a key. A key is shown once, when it is issued; only its hash is kept.",
    ],
    ["key_issued_for", "已签发密钥：", "Key issued for"],
    [
        "key_shown_once",
        "请立即复制并交给对接方：离开本页后无法再次查看。",
        "Copy it now and give it to the integration: it cannot be shown again once you leave this page.",
    ],
    ["col_key", "密钥", "Key"],
    ["col_key_name", "用途（对接方）", "For (integration)"],
    ["col_issued", "签发时间", "Issued"],
    ["col_last_used", "最近使用", "Last used"],
    ["never", "从未", "never"],
    ["key_revoked_at", "已吊销", "revoked"],
    ["revoke", "吊销", "Revoke"],
    ["issue_key", "签发新密钥", "Issue a key"],
    ["no_keys", "尚未签发密钥。", "No keys issued yet."],
    [
        "adm_done_key_revoked",
        "密钥已吊销，使用它的请求将被拒绝。",
        "Key revoked: requests with it are refused.",
    ],
    ["sec_calendar", "工作日历", "Working calendar"],
    [
        "recent_changes",
        "最近的管理操作",
        "Latest administrative changes",
    ],
    [
        "no_changes",
        "还没有管理操作记录。",
        "No changes recorded yet.",
    ],
    ["col_when", "时间", "When"],
    ["col_who", "操作人", "Who"],
    ["col_subject", "对象", "Subject"],
    ["col_action", "操作", "Change"],
    ["col_details", "内容", "Details"],
    ["back_admin", "系统管理", "Administration"],
    ["save", "保存", "Save"],
    ["edit", "编辑", "Edit"],
    ["add", "添加", "Add"],
    ["active", "启用", "Active"],
    ["inactive", "已停用", "inactive"],
    ["activate", "启用", "Activate"],
    ["deactivate", "停用", "Deactivate"],
    ["rename", "改名", "Rename"],
    ["none_dash", "（无）", "(none)"],
    ["f_form", "表单", "form"],
    ["f_code", "编码", "Code"],
    ["f_name", "名称", "Name"],
    ["f_kind", "类型", "Kind"],
    ["f_division_code", "所属区划", "Division"],
    ["f_email", "通知邮箱", "Notification e-mail"],
    ["f_active", "启用", "Active"],
    ["f_auto_assign", "自动分配给承办人", "Auto-assign to clerks"],
    ["f_username", "用户名", "Username"],
    ["f_display_name", "显示名称", "Display name"],
    ["f_role", "角色", "Role"],
    ["f_department", "所属单位", "Department"],
    ["f_password", "初始密码", "Initial password"],
    ["f_new_password", "新密码", "New password"],
    ["f_child_code", "下级编码", "Child's code"],
    ["f_child_name", "下级名称", "Child's name"],
    ["f_date", "日期", "Date"],
    ["f_priority", "优先级", "Priority"],
    ["f_enabled", "启用", "Enabled"],
    [
        "f_continue_matching",
        "仅附加（继续匹配后续规则）",
        "Only adds (later rules decide)",
    ],
    ["f_note", "修改说明", "Why (kept with the version)"],
    [
        "f_category_prefixes",
        "问题分类编码前缀",
        "Category code prefixes",
    ],
    [
        "f_division_prefixes",
        "区划编码前缀",
        "Division code prefixes",
    ],
    ["f_appellant_kinds", "诉求人类型", "Appellant kinds"],
    ["f_appeal_kinds", "诉求类型", "Appeal kinds"],
    ["f_channels", "渠道", "Channels"],
    ["f_urgencies", "紧急程度", "Urgencies"],
    ["f_keywords_any", "包含任一关键词", "Any of these keywords"],
    ["f_keywords_none", "不含关键词", "None of these keywords"],
    ["f_valid_from", "生效日期", "Valid from"],
    ["f_valid_until", "失效日期", "Valid until"],
    [
        "f_season_start",
        "每年起始（月-日）",
        "Each year from (MM-DD)",
    ],
    [
        "f_season_end",
        "每年截止（月-日）",
        "Each year until (MM-DD)",
    ],
    ["f_lead_type", "主办单位", "Lead department"],
    ["f_lead_department", "指定的承办单位", "The department"],
    ["f_lead_level", "属地层级", "Level"],
    ["f_co_departments", "协办单位", "Co-handlers"],
    [
        "f_co_division_office_level",
        "属地协办",
        "Local office co-handles",
    ],
    ["f_deadline_class", "办理时限", "Deadline class"],
    ["f_urgency", "紧急程度", "Urgency"],
    ["f_ids", "规则顺序", "Rule order"],
    ["f_last", "样本数量", "Sample size"],
    [
        "adm_hint_code",
        "部门编码为2–32位小写字母、数字或 _ . -；分类编码为上级编码加“.”和1–8位字母或数字；区划编码：区县为6位（前4位同市），街道、社区、网格各在上级编码后加3位数字。编码不能与已有的重复。",
        "A department code has 2 to 32 lower-case letters, digits, _ . or -; a category code is its parent's, a dot and 1 to 8 letters or digits; a division code nests in its parent's (a district six digits starting as its city's four, then three more digits per level). A code may not be taken already.",
    ],
    [
        "adm_hint_child_code",
        "下级编码须在本级编码后按规则延长，且不能与已有的重复。",
        "A child's code extends this one by the rule, and may not be taken already.",
    ],
    [
        "adm_hint_name",
        "名称不能为空，承办单位不超过100字，分类、区划不超过64字。",
        "A name is required: at most 100 characters for a department, 64 for a category or division.",
    ],
    [
        "adm_hint_child_name",
        "名称不能为空，不超过64字。",
        "A name is required, at most 64 characters.",
    ],
    [
        "adm_hint_email",
        "如 office@example.cn。",
        "Such as office@example.cn.",
    ],
    [
        "adm_hint_username",
        "2–64位字母、数字或 _ . -，不能与已有用户重复。",
        "2 to 64 letters, digits, _ . or -, not taken already.",
    ],
    [
        "adm_hint_password",
        "至少8个字符。",
        "At least 8 characters.",
    ],
    [
        "adm_hint_department",
        "承办人必须选择所属单位；派单员、督办员和管理员不属于承办单位。",
        "A clerk needs a department; dispatchers, supervisors and administrators belong to none.",
    ],
    [
        "adm_hint_active",
        "不能停用自己的账号或最后一名管理员；分类须先停用其下级，启用须先启用上级；仍被派单规则使用的单位须先修改规则。",
        "You cannot deactivate yourself or the last administrator; a category's subcategories go first (and its parent comes back first); a department the routing rules send to needs those rules changed first.",
    ],
    [
        "adm_hint_role",
        "不能修改自己的角色，也不能让系统没有管理员。",
        "You cannot change your own role, nor leave no administrator.",
    ],
    [
        "adm_hint_date",
        "日期如 2026-10-01。",
        "A date such as 2026-10-01.",
    ],
    [
        "adm_hint_division_code",
        "请选择已有的行政区划。",
        "Choose an existing division.",
    ],
    ["dk_hotline_centre", "热线中心", "Hotline centre"],
    ["dk_city_bureau", "市直部门", "City bureau"],
    ["dk_district_bureau", "区直部门", "District bureau"],
    ["dk_district_government", "区县政府", "District government"],
    ["dk_street_office", "街道（乡镇）办事处", "Street office"],
    ["dk_utility", "公共事业单位", "Public utility"],
    ["role_clerk", "承办人", "Clerk"],
    ["role_dispatcher", "派单员", "Dispatcher"],
    ["role_supervisor", "督办员", "Supervisor"],
    ["role_admin", "管理员", "Administrator"],
    ["lvl_city", "市", "City"],
    ["lvl_district", "区县", "District / county"],
    ["lvl_street", "街道（乡镇）", "Street / township"],
    ["lvl_community", "社区（村）", "Community / village"],
    ["lvl_grid", "网格", "Grid"],
    ["add_department", "新增承办单位", "Add a department"],
    ["edit_department", "编辑承办单位", "Edit a department"],
    [
        "add_top_category",
        "新增一级分类",
        "Add a top-level category",
    ],
    ["add_child", "新增下级", "Add a child"],
    ["children", "下级", "Children"],
    ["parent", "上级", "Parent"],
    ["level", "层级", "Level"],
    ["no_children", "没有下级。", "No children."],
    ["add_user", "新增账号", "Add an account"],
    ["absent", "请假中", "absent"],
    [
        "change_role",
        "修改角色和单位",
        "Change role and department",
    ],
    ["reset_password", "重置密码", "Reset the password"],
    ["account_state", "账号状态", "Account"],
    ["yourself", "（您本人）", "(you)"],
    ["year", "年份", "Year"],
    ["day_holiday", "节假日", "Holiday"],
    ["day_workday", "调休上班", "Make-up working day"],
    ["add_day", "添加日期", "Add a date"],
    ["remove", "删除", "Remove"],
    [
        "no_days",
        "本年没有设置节假日或调休上班日。",
        "No holidays or make-up working days this year.",
    ],
    [
        "calendar_intro",
        "节假日不计入办理时限；调休上班日照常计时。修改只影响此后设定的时限。",
        "Holidays do not count towards deadlines; make-up working days do. A change applies to deadlines set from then on.",
    ],
    ["wd_1", "周一", "Mon"],
    ["wd_2", "周二", "Tue"],
    ["wd_3", "周三", "Wed"],
    ["wd_4", "周四", "Thu"],
    ["wd_5", "周五", "Fri"],
    ["wd_6", "周六", "Sat"],
    ["wd_7", "周日", "Sun"],
    ["new_rule", "新建规则", "New rule"],
    ["edit_rule", "编辑规则", "Edit the rule"],
    ["move_up", "上移", "Up"],
    ["move_down", "下移", "Down"],
    ["test_draft", "测试此草稿规则", "Test this draft rule"],
    ["save_rule", "保存规则", "Save the rule"],
    [
        "rule_conditions",
        "条件（留空为不限）",
        "Conditions (empty means any)",
    ],
    [
        "list_hint",
        "多个值用逗号分隔",
        "Separate several with commas",
    ],
    [
        "lead_none",
        "不指定（留在问题池，或仅附加协办）",
        "None (the pool, or only adds co-handlers)",
    ],
    ["lead_fixed", "指定承办单位", "A fixed department"],
    [
        "lead_office",
        "属地办理（直派街乡）",
        "The local office (direct-to-street)",
    ],
    ["office_2", "区县政府", "District government"],
    ["office_3", "街道（乡镇）办事处", "Street office"],
    ["urgency_normal", "一般", "Normal"],
    ["urgency_urgent", "紧急", "Urgent"],
    ["history", "历史版本", "Versions"],
    ["warnings", "请注意", "Please note"],
    [
        "draft_sample",
        "样例诉求（用于测试草稿）",
        "A sample appeal (to test the draft)",
    ],
    [
        "draft_report",
        "草稿在最近诉求上的效果",
        "The draft on the latest appeals",
    ],
    ["draft_examined", "检查的诉求", "Appeals examined"],
    ["draft_would_decide", "将由此规则决定", "It would decide"],
    ["taken_from", "原去向", "Taken from"],
    ["sent_to", "新去向", "Sent to"],
    [
        "adm_done_department_added",
        "已新增承办单位。",
        "Department added.",
    ],
    [
        "adm_done_department_saved",
        "承办单位已保存。",
        "Department saved.",
    ],
    ["adm_done_category_added", "已新增分类。", "Category added."],
    [
        "adm_done_category_renamed",
        "分类已改名。",
        "Category renamed.",
    ],
    [
        "adm_done_category_activated",
        "分类已启用。",
        "Category activated.",
    ],
    [
        "adm_done_category_deactivated",
        "分类已停用。",
        "Category deactivated.",
    ],
    ["adm_done_division_added", "已新增区划。", "Division added."],
    [
        "adm_done_division_renamed",
        "区划已改名。",
        "Division renamed.",
    ],
    ["adm_done_user_added", "已新增账号。", "Account added."],
    [
        "adm_done_user_role",
        "角色和单位已修改。",
        "Role and department changed.",
    ],
    ["adm_done_user_password", "密码已重置。", "Password reset."],
    [
        "adm_done_user_activated",
        "账号已启用。",
        "Account reactivated.",
    ],
    [
        "adm_done_user_deactivated",
        "账号已停用，不能再登录。",
        "Account deactivated: it can no longer log in.",
    ],
    ["adm_done_day_added", "日期已添加。", "Date added."],
    ["adm_done_day_removed", "日期已删除。", "Date removed."],
    [
        "adm_done_rule_saved",
        "规则已保存（新版本已生效）。",
        "Rule saved (the new version is in force).",
    ],
    ["adm_done_rule_enabled", "规则已启用。", "Rule switched on."],
    [
        "adm_done_rule_disabled",
        "规则已停用。",
        "Rule switched off.",
    ],
    ["adm_done_rule_moved", "规则顺序已调整。", "Rule moved."],
    [
        "adm_refused",
        "未能保存，请修改标出的内容。",
        "Not saved: please correct the marked field.",
    ],
    // the supervisor
    ["nav_dashboard", "督办看板", "Dashboard"],
    ["dashboard_title", "督办看板", "Supervisor's dashboard"],
    ["from", "起始日期", "From"],
    ["to", "截止日期", "To"],
    ["group_by", "分组", "Group by"],
    ["g_department", "承办单位", "Department"],
    ["g_district", "区县", "District"],
    ["g_category", "问题分类", "Category"],
    ["g_channel", "渠道", "Channel"],
    ["g_appellant_kind", "诉求人类型", "Appellant kind"],
    ["g_month", "月份", "Month"],
    ["valid_follow_ups", "有效回访", "Valid follow-ups"],
    [
        "hotspots",
        "热点问题（每月一题候选）",
        "Hotspots (candidates for the monthly topic),",
    ],
    ["growth", "较上月", "Against last month"],
    [
        "trend",
        "近12个月受理量",
        "Appeals received, last 12 months",
    ],
    ["ranking_of", "综合成绩排名", "Ranking by composite score,"],
    ["best", "前五名", "Best five"],
    ["worst", "后五名", "Worst five"],
    [
        "overdue_list",
        "超期和督办工单",
        "Overdue and escalated appeals",
    ],
    ["none_overdue", "没有超期工单。", "Nothing overdue."],
    [
        "overdue_caption",
        "督办的在前，最多显示20件",
        "Escalated first; at most 20 shown",
    ],
    ["supervised", "督办", "supervised"],
    [
        "extensions",
        "待审批的延期申请",
        "Extension requests to decide",
    ],
    [
        "none_pending",
        "没有待审批的延期申请。",
        "No requests waiting.",
    ],
    ["decide", "审批", "Decision"],
    ["approve", "批准", "Approve"],
    ["reject_ext", "驳回", "Reject"],
    ["ext_done_approved", "已批准延期。", "Extension approved."],
    [
        "ext_done_rejected",
        "已驳回延期申请。",
        "Extension rejected.",
    ],
    [
        "ext_done_stale",
        "该申请已被处理或已失效。",
        "That request was already decided or has lapsed.",
    ],
    // errors
    ["error_title", "出错了", "Something went wrong"],
    [
        "error_forbidden",
        "您没有权限查看此页面。",
        "You may not see this page.",
    ],
    ["error_not_found", "找不到该页面。", "No such page."],
    [
        "error_csrf",
        "表单已过期，请返回刷新后重试。",
        "This form has expired: go back, reload and try again.",
    ],
    [
        "error_server",
        "服务器暂时无法处理您的请求，请稍后再试。",
        "The server could not handle this request; please try again later.",
    ],
    ["back_home", "返回首页", "Back to the start"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_and_no_key_repeats() {
        let mut seen = std::collections::HashSet::new();
        for row in MESSAGES {
            assert!(seen.insert(row[0]), "{} twice", row[0]);
            assert!(
                !row[1].is_empty() && !row[2].is_empty(),
                "{} lacks a word",
                row[0]
            );
        }
        assert_eq!(Lang::Zh.t("submit"), "提交");
        assert_eq!(Lang::En.t("submit"), "Submit");
        assert_eq!(Lang::En.t("no_such_key"), "no_such_key");
    }

    #[test]
    fn chinese_is_the_default_and_tags_round_trip() {
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::parse(lang.tag()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        assert_eq!(Lang::parse("fr"), None);
    }
}
