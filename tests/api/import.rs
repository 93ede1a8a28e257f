//! `minxin import` of a hotline export and `minxin seed --appeals N`, both bulk loads: the rows
//! that should be there are, bad rows are refused by line number, a second import adds nothing,
//! the audit chains verify, and the report cube is exactly what a recompute gives.

use diesel::prelude::*;
use minxin::domain::credit_code::CreditCode;

use crate::helpers::{TestApp, minxin, spawn_app};

const HEADER: &[&str] = &[
    "工单编号",
    "诉求类型",
    "标题",
    "诉求内容",
    "诉求分类",
    "区县",
    "街道",
    "来电时间",
    "承办单位",
    "办理结果",
    "答复时间",
    "是否解决",
    "满意度",
    "办结时间",
    "来电人",
    "联系电话",
    "企业名称",
    "统一社会信用代码",
    "备注",
];

/// A small export: good rows in every state, and bad ones whose line numbers the import must
/// name (line 1 is the header; GD-10's content spans two lines).
fn export(credit_code: &str) -> Vec<Vec<String>> {
    let rows: Vec<Vec<&str>> = vec![
        // line 2: closed, replied and rated
        vec![
            "GD-1",
            "投诉",
            "暖气不热",
            "家里只有十五度",
            "供热/室温不达标",
            "铁东区",
            "解放街道",
            "2026-01-05 09:30:00",
            "鞍山市热力集团",
            "已派人调试，温度恢复",
            "",
            "是",
            "满意",
            "2026-01-06 16:00:00",
            "张三",
            "138 1234 5678",
            "",
            "",
            "x",
        ],
        // line 3: closed, not rated
        vec![
            "GD-2",
            "咨询",
            "何时来水",
            "小区停水",
            "03.02.01",
            "铁西区",
            "八家子街道",
            "2026-02-01 10:00",
            "water",
            "已恢复供水",
            "",
            "",
            "",
            "2026-02-01 18:00",
            "李四",
            "0412-5551234",
            "",
            "",
            "",
        ],
        // line 4: with the department, no reply yet
        vec![
            "GD-3",
            "求助",
            "",
            "楼上漏水到我家",
            "小区漏水",
            "210302",
            "",
            "2026-03-01 08:00",
            "解放街道办事处",
            "",
            "",
            "",
            "",
            "",
            "王五",
            "13900001111",
            "",
            "",
            "",
        ],
        // line 5: nobody handles it yet; no caller recorded
        vec![
            "GD-4",
            "建议",
            "增设公交站",
            "建议在友好街增设公交站",
            "",
            "立山区",
            "友好街道",
            "2026/3/2 8:00",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        // line 6: unknown category
        vec![
            "GD-5",
            "投诉",
            "t",
            "c",
            "不存在的分类",
            "铁东区",
            "解放街道",
            "2026-03-03 08:00",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        // line 7: satisfaction off the scale
        vec![
            "GD-6",
            "投诉",
            "t",
            "c",
            "室温不达标",
            "铁东区",
            "解放街道",
            "2026-03-03 08:00",
            "heating",
            "处理了",
            "",
            "是",
            "还行",
            "2026-03-04 08:00",
            "",
            "",
            "",
            "",
            "",
        ],
        // line 8: the number of line 2 again
        vec![
            "GD-1",
            "投诉",
            "t",
            "c",
            "室温不达标",
            "铁东区",
            "解放街道",
            "2026-03-03 08:00",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        // line 9: closed before it was received
        vec![
            "GD-7",
            "投诉",
            "t",
            "c",
            "室温不达标",
            "铁东区",
            "解放街道",
            "2026-03-03 08:00",
            "heating",
            "处理了",
            "",
            "",
            "",
            "2026-03-01 08:00",
            "",
            "",
            "",
            "",
            "",
        ],
        // line 10: replied, waiting for the follow-up
        vec![
            "GD-8",
            "投诉",
            "路灯不亮",
            "门口路灯坏了",
            "城市管理/市政设施/路灯不亮",
            "铁东区",
            "山南街道",
            "2026-11-01 19:00",
            "urban",
            "已报修",
            "2026-11-02 10:00",
            "",
            "",
            "",
            "赵六",
            "13700002222",
            "",
            "",
            "",
        ],
        // line 11: an enterprise
        vec![
            "GD-9",
            "投诉",
            "拖欠货款",
            "某单位拖欠货款",
            "价格欺诈",
            "铁东区",
            "站前街道",
            "2026-04-01 09:00",
            "market",
            "已调解",
            "",
            "是",
            "非常满意",
            "2026-04-03 09:00",
            "孙经理",
            "0412-5550000",
            "鞍山市华通商贸有限公司",
            credit_code,
            "",
        ],
        // lines 12-13: rated very dissatisfied, content over two lines
        vec![
            "GD-10",
            "投诉",
            "噪音",
            "夜间施工\n影响休息",
            "夜间施工",
            "铁东区",
            "解放街道",
            "2026-05-01 22:00",
            "ecology",
            "已责令停工",
            "",
            "否",
            "非常不满意",
            "2026-05-03 10:00",
            "周七",
            "13600003333",
            "",
            "",
            "",
        ],
        // line 14: a phone that is none
        vec![
            "GD-11",
            "投诉",
            "t",
            "c",
            "室温不达标",
            "铁东区",
            "解放街道",
            "2026-03-03 08:00",
            "",
            "",
            "",
            "",
            "",
            "",
            "吴八",
            "12345",
            "",
            "",
            "",
        ],
    ];
    rows.into_iter()
        .map(|r| r.into_iter().map(str::to_owned).collect())
        .collect()
}

fn write_csv(path: &std::path::Path, rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).expect("create csv");
    w.write_record(HEADER).expect("header");
    for r in rows {
        w.write_record(r).expect("row");
    }
    w.flush().expect("flush");
}

fn text(app: &TestApp, sql: &str) -> Option<String> {
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        t: Option<String>,
    }
    let mut conn = app.conn();
    diesel::sql_query(format!("SELECT ({sql})::text AS t"))
        .get_result::<T>(&mut conn)
        .expect("text query")
        .t
}

/// The report cube (with whatever is still in the delta log) equals a recompute from the
/// appeals, and its per-day totals equal counts taken straight from the appeals.
fn assert_cube_exact(app: &TestApp) {
    let (ok, out) = minxin(&app.db_url, &["reports", "verify"], &[]);
    assert!(ok, "{out}");
    let mut conn = app.conn();
    diesel::sql_query("SELECT report_fold()")
        .execute(&mut conn)
        .expect("fold");
    diesel::sql_query("CREATE TEMP TABLE cube_before AS SELECT * FROM report_cube")
        .execute(&mut conn)
        .expect("copy the cube");
    conn.build_transaction()
        .repeatable_read()
        .run(|c| diesel::sql_query("SELECT report_refresh(NULL, NULL)").execute(c))
        .expect("recompute");
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let differing = diesel::sql_query(
        "SELECT count(*) AS n FROM (
            (SELECT * FROM cube_before EXCEPT ALL SELECT * FROM report_cube)
            UNION ALL
            (SELECT * FROM report_cube EXCEPT ALL SELECT * FROM cube_before)) d",
    )
    .get_result::<N>(&mut conn)
    .expect("compare")
    .n;
    assert_eq!(differing, 0, "cube cells differ from a recompute");
    let cells = app.count("SELECT count(*) FROM report_cube");
    assert!(cells > 0, "the cube is empty");
    let by_day = app.count(
        "SELECT count(*) FROM (
            SELECT (created_at AT TIME ZONE (SELECT time_zone FROM report_meta))::date AS day,
                   count(*)::int AS received,
                   (count(*) FILTER (WHERE dispatched_at IS NOT NULL))::int AS dispatched,
                   (count(*) FILTER (WHERE closed_unrated))::int AS unrated,
                   (count(*) FILTER (WHERE EXISTS (SELECT 1 FROM follow_ups f WHERE f.appeal_id = a.id)))::int AS followed_up
            FROM appeals a WHERE status <> 'merged' GROUP BY 1
         ) d FULL JOIN (SELECT day, received, dispatched, unrated, followed_up
                        FROM report_cube WHERE cuboid = 0) c USING (day)
         WHERE (d.received, d.dispatched, d.unrated, d.followed_up)
               IS DISTINCT FROM (c.received, c.dispatched, c.unrated, c.followed_up)",
    );
    assert_eq!(by_day, 0, "per-day totals differ from the appeals");
}

/// The first and latest answers copied onto the appeal rows agree with the follow-ups.
fn assert_answers_copied(app: &TestApp) {
    let mismatched = app.count(
        "SELECT count(*) FROM appeals a
         LEFT JOIN LATERAL (SELECT contacted, solved, satisfaction FROM follow_ups f
                            WHERE f.appeal_id = a.id ORDER BY round ASC LIMIT 1) f1 ON TRUE
         LEFT JOIN LATERAL (SELECT contacted, solved, satisfaction FROM follow_ups f
                            WHERE f.appeal_id = a.id ORDER BY round DESC LIMIT 1) fl ON TRUE
         WHERE (a.first_contacted, a.first_solved, a.first_satisfaction,
                a.latest_contacted, a.latest_solved, a.latest_satisfaction)
               IS DISTINCT FROM (f1.contacted, f1.solved, f1.satisfaction,
                                 fl.contacted, fl.solved, fl.satisfaction)",
    );
    assert_eq!(mismatched, 0);
}

#[actix_web::test]
async fn an_export_is_imported_once_with_its_bad_rows_named_by_line() {
    // Arrange
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("minxin-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("export.csv");
    let errors = dir.join("errors.csv");
    let code = CreditCode::complete("91210300MA0Y12345").expect("a valid code");
    write_csv(&file, &export(code.as_str()));
    let file_arg = file.to_str().expect("utf-8 path");
    let errors_arg = errors.to_str().expect("utf-8 path");

    // Act
    let (ok, out) = minxin(
        &app.db_url,
        &["import", file_arg, "--errors", errors_arg],
        &[],
    );

    // Assert: exit 1 because rows were refused; each named by its line
    assert!(!ok, "{out}");
    assert!(
        out.contains("12 rows read, 7 imported, 0 already imported before, 5 refused"),
        "{out}"
    );
    assert!(out.contains("note: columns not imported: 备注"), "{out}");
    for expected in [
        "line 6: 诉求分类 `不存在的分类`",
        "line 7: 满意度 `还行`",
        "line 8: 工单编号 GD-1 appeared already on line 2",
        "line 9: 办结时间 is before 来电时间",
        "line 14: 联系电话 `12345`",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    let mut refused = csv::Reader::from_path(&errors).expect("errors file");
    let headers = refused.headers().expect("headers").clone();
    assert_eq!(&headers[0], "行号");
    assert_eq!(&headers[1], "错误原因");
    assert_eq!(&headers[2], "工单编号");
    let lines: Vec<String> = refused
        .records()
        .map(|r| r.expect("record")[0].to_owned())
        .collect();
    assert_eq!(lines, ["6", "7", "8", "9", "14"]);

    // the good rows, in the states their rows describe
    let field = |no: &str, col: &str| {
        text(
            &app,
            &format!("SELECT {col} FROM appeals WHERE external_no = '{no}'"),
        )
    };
    assert_eq!(
        app.count("SELECT count(*) FROM appeals WHERE channel = 'import'"),
        7
    );
    assert_eq!(field("GD-1", "status").as_deref(), Some("closed"));
    assert_eq!(
        field("GD-1", "lead_department_code").as_deref(),
        Some("heating")
    );
    assert_eq!(field("GD-1", "division_code").as_deref(), Some("210302001"));
    assert_eq!(field("GD-1", "category_code").as_deref(), Some("03.01.01"));
    assert_eq!(field("GD-1", "phone").as_deref(), Some("13812345678"));
    assert_eq!(
        field(
            "GD-1",
            "to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"
        )
        .as_deref(),
        Some("2026-01-05 09:30")
    );
    assert_eq!(field("GD-1", "closed_unrated").as_deref(), Some("false"));
    assert_eq!(
        text(&app, "SELECT f.solved || ' ' || f.satisfaction || ' ' || f.source FROM follow_ups f JOIN appeals a ON a.id = f.appeal_id WHERE a.external_no = 'GD-1'").as_deref(),
        Some("true satisfied staff")
    );
    assert_eq!(
        text(&app, "SELECT r.department_code || ' ' || r.content FROM replies r JOIN appeals a ON a.id = r.appeal_id WHERE a.external_no = 'GD-1'").as_deref(),
        Some("heating 已派人调试，温度恢复")
    );
    assert_eq!(field("GD-2", "status").as_deref(), Some("closed"));
    assert_eq!(field("GD-2", "closed_unrated").as_deref(), Some("true"));
    assert_eq!(field("GD-2", "phone").as_deref(), Some("04125551234"));
    assert_eq!(field("GD-3", "status").as_deref(), Some("dispatched"));
    assert_eq!(
        field("GD-3", "lead_department_code").as_deref(),
        Some("st-210302001")
    );
    assert_eq!(field("GD-3", "title").as_deref(), Some("楼上漏水到我家"));
    assert_eq!(field("GD-4", "status").as_deref(), Some("submitted"));
    assert_eq!(field("GD-4", "lead_department_code"), None);
    assert_eq!(field("GD-4", "pool_reason").as_deref(), Some("no_rule"));
    assert_eq!(
        field("GD-4", "name || ' ' || phone").as_deref(),
        Some("匿名 00000")
    );
    assert_eq!(field("GD-8", "status").as_deref(), Some("resolved"));
    assert_eq!(
        field("GD-8", "follow_up_due_at IS NOT NULL").as_deref(),
        Some("true")
    );
    assert_eq!(
        field("GD-9", "appellant_kind").as_deref(),
        Some("enterprise")
    );
    assert_eq!(field("GD-9", "credit_code").as_deref(), Some(code.as_str()));
    assert_eq!(
        field("GD-10", "latest_solved || ' ' || latest_satisfaction").as_deref(),
        Some("false very_dissatisfied")
    );
    assert_eq!(
        field("GD-10", "content").as_deref(),
        Some("夜间施工\n影响休息")
    );
    assert_answers_copied(&app);
    // the load leaves the planner statistics the appeal page needs (appeal ids of the tables
    // it wrote), whether or not autovacuum runs
    assert_eq!(
        app.count(
            "SELECT count(*) FROM pg_stats WHERE attname = 'appeal_id' \
             AND tablename IN ('audit_events', 'replies', 'follow_ups')"
        ),
        3
    );
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok && out.contains("7 chains"), "{out}");
    assert_cube_exact(&app);

    // Act again: the same file adds nothing
    let (ok, out) = minxin(&app.db_url, &["import", file_arg], &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("12 rows read, 0 imported, 7 already imported before, 5 refused"),
        "{out}"
    );
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 7);
    assert_eq!(app.count("SELECT count(*) FROM audit_events"), 7);

    // the corrected errors file imports the rest (its extra columns are ignored)
    let mut fixed = csv::Reader::from_path(&errors).expect("errors file");
    let fixed_headers = fixed.headers().expect("headers").clone();
    let fixed_rows: Vec<csv::StringRecord> = fixed.records().map(|r| r.expect("row")).collect();
    let mut w = csv::Writer::from_path(&file).expect("rewrite");
    w.write_record(&fixed_headers).expect("header");
    for r in &fixed_rows {
        let mut r: Vec<String> = r.iter().map(str::to_owned).collect();
        match r[2].as_str() {
            "GD-5" => r[6] = "室温不达标".into(),
            "GD-6" => r[14] = "基本满意".into(),
            "GD-7" => r[15] = "2026-03-05 08:00".into(),
            "GD-11" => r[17] = "13500004444".into(),
            _ => {}
        }
        w.write_record(&r).expect("row");
    }
    w.flush().expect("flush");
    let (ok, out) = minxin(&app.db_url, &["import", file_arg], &[]);
    assert!(ok, "{out}");
    // the duplicate GD-1 is alone in this file, and already imported
    assert!(
        out.contains("5 rows read, 4 imported, 1 already imported before, 0 refused"),
        "{out}"
    );
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 11);
    assert_answers_copied(&app);
    assert_cube_exact(&app);
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok && out.contains("11 chains"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn a_file_without_the_needed_columns_is_refused_whole() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("minxin-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("export.csv");
    std::fs::write(&file, "标题,诉求内容\n暖气,不热\n").expect("write");
    let (ok, out) = minxin(&app.db_url, &["import", file.to_str().expect("path")], &[]);
    assert!(!ok);
    assert!(out.contains("lacks the column(s) 工单编号"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn seeded_appeals_leave_the_cube_exact_and_the_audit_log_intact() {
    let app = spawn_app().await;
    let (ok, out) = minxin(&app.db_url, &["seed", "--appeals", "2000"], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("2000 synthetic appeals generated"), "{out}");
    assert_eq!(app.count("SELECT count(*) FROM appeals"), 2000);
    let (ok, out) = minxin(&app.db_url, &["audit", "verify"], &[]);
    assert!(ok && out.contains("2000 chains"), "{out}");
    assert_cube_exact(&app);
    assert_answers_copied(&app);
    // the spread a year at a hotline has
    assert!(
        app.count("SELECT count(*) FROM appeals WHERE status = 'closed' AND NOT closed_unrated")
            > 1000
    );
    assert!(app.count("SELECT count(*) FROM appeals WHERE closed_unrated") > 20);
    assert!(
        app.count("SELECT count(*) FROM appeals WHERE status = 'in_progress' AND reply_stage = 2")
            > 5
    );
    assert!(
        app.count(
            "SELECT count(*) FROM appeals WHERE return_count > 0 AND returned_by IS NOT NULL"
        ) > 10
    );
    assert!(
        app.count(
            "SELECT count(*) FROM appeals a WHERE rehandle_count > 0
             AND (SELECT count(*) FROM follow_ups f WHERE f.appeal_id = a.id) = 2"
        ) > 10
    );
    assert!(app.count("SELECT count(DISTINCT latest_satisfaction) FROM appeals") == 5);
    assert!(app.count("SELECT count(DISTINCT channel) FROM appeals") >= 4);
    assert!(app.count("SELECT count(DISTINCT kind) FROM appeals") == 5);
    // heating complaints crowd the heating season
    let heating_share = |months: &str| {
        app.count(&format!(
            "SELECT (100 * count(*) FILTER (WHERE category_code LIKE '03.01.%') / greatest(count(*), 1))
             FROM appeals WHERE extract(month FROM created_at AT TIME ZONE 'Asia/Shanghai') IN ({months})"
        ))
    };
    assert!(heating_share("12, 1, 2") > 25);
    assert_eq!(heating_share("6, 7, 8"), 0);
    // enterprises carry valid credit codes
    let mut conn = app.conn();
    #[derive(QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        credit_code: String,
    }
    let codes: Vec<Code> = diesel::sql_query(
        "SELECT credit_code::text AS credit_code FROM appeals WHERE appellant_kind = 'enterprise'",
    )
    .load(&mut conn)
    .expect("codes");
    assert!(codes.len() > 40, "{}", codes.len());
    for c in codes {
        assert!(
            c.credit_code.parse::<CreditCode>().is_ok(),
            "{}",
            c.credit_code
        );
    }
    // ids are time-ordered (UUID version 7)
    assert_eq!(
        app.count("SELECT count(*) FROM appeals WHERE substr(id::text, 15, 1) <> '7'"),
        0
    );
}
