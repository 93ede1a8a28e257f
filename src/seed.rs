//! Believable Anshan (鞍山) demo data: administrative divisions, the departments that handle
//! appeals, the category tree a hotline works with, and a handful of staff logins.
//!
//! Everything is loaded with `INSERT … ON CONFLICT DO NOTHING` inside one transaction, so
//! loading twice changes nothing: existing rows (and users' password hashes) are left alone.
//!
//! Division codes follow the national scheme (210300 鞍山市 › 210302 铁东区 › 210302001 解放街道
//! › 210302001001 …). District and county codes are the real ones; the three-digit suffixes of
//! streets and communities follow the national conventions (001–099 街道, 1xx 镇) but are not
//! necessarily the official numbers. All e-mail addresses use the reserved `.example` TLD so
//! that a demo never mails anybody.

use anyhow::Context as _;
use diesel::prelude::*;

use crate::db::schema::{categories, departments, divisions, users};

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "minxin-demo";

/// One demo staff login, printed by `minxin demo`.
pub struct DemoLogin {
    pub username: &'static str,
    pub password: &'static str,
    pub role: &'static str,
    pub department_code: Option<&'static str>,
    pub display_name: &'static str,
}

/// Rows newly inserted by one run of [`load_demo_data`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub divisions: usize,
    pub departments: usize,
    pub categories: usize,
    pub users: usize,
    pub calendar_days: usize,
}

/// China's 2026 public holidays and make-up working days (调休), per the State Council's notice
/// (国务院办公厅关于2026年部分节假日安排的通知). Later years are entered by an administrator
/// through `PUT /api/v1/calendar/days/{date}` once announced.
#[rustfmt::skip]
pub const HOLIDAYS_2026: &[(&str, &str, &str)] = &[
    ("2026-01-01", "holiday", "元旦"), ("2026-01-02", "holiday", "元旦"), ("2026-01-03", "holiday", "元旦"),
    ("2026-01-04", "workday", "元旦调休上班"),
    ("2026-02-14", "workday", "春节调休上班"),
    ("2026-02-15", "holiday", "春节"), ("2026-02-16", "holiday", "春节"), ("2026-02-17", "holiday", "春节"),
    ("2026-02-18", "holiday", "春节"), ("2026-02-19", "holiday", "春节"), ("2026-02-20", "holiday", "春节"),
    ("2026-02-21", "holiday", "春节"), ("2026-02-22", "holiday", "春节"), ("2026-02-23", "holiday", "春节"),
    ("2026-02-28", "workday", "春节调休上班"),
    ("2026-04-04", "holiday", "清明节"), ("2026-04-05", "holiday", "清明节"), ("2026-04-06", "holiday", "清明节"),
    ("2026-05-01", "holiday", "劳动节"), ("2026-05-02", "holiday", "劳动节"), ("2026-05-03", "holiday", "劳动节"),
    ("2026-05-04", "holiday", "劳动节"), ("2026-05-05", "holiday", "劳动节"),
    ("2026-05-09", "workday", "劳动节调休上班"),
    ("2026-06-19", "holiday", "端午节"), ("2026-06-20", "holiday", "端午节"), ("2026-06-21", "holiday", "端午节"),
    ("2026-09-20", "workday", "国庆节调休上班"),
    ("2026-09-25", "holiday", "中秋节"), ("2026-09-26", "holiday", "中秋节"), ("2026-09-27", "holiday", "中秋节"),
    ("2026-10-01", "holiday", "国庆节"), ("2026-10-02", "holiday", "国庆节"), ("2026-10-03", "holiday", "国庆节"),
    ("2026-10-04", "holiday", "国庆节"), ("2026-10-05", "holiday", "国庆节"), ("2026-10-06", "holiday", "国庆节"),
    ("2026-10-07", "holiday", "国庆节"),
    ("2026-10-10", "workday", "国庆节调休上班"),
];

/// Loads [`HOLIDAYS_2026`] where the calendar has nothing for those dates yet; recorded in the
/// administrative audit log when it adds any.
pub fn load_holidays(conn: &mut diesel::PgConnection) -> anyhow::Result<usize> {
    use crate::db::schema::{calendar_days, calendar_settings};
    let now = chrono::Utc::now();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        crate::db::calendar::lock(conn)?;
        let mut added = Vec::new();
        for &(date, kind, name) in HOLIDAYS_2026 {
            let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .with_context(|| format!("holiday date {date}"))?;
            let n = diesel::insert_into(calendar_days::table)
                .values((
                    calendar_days::day.eq(day),
                    calendar_days::kind.eq(kind),
                    calendar_days::name.eq(name),
                    calendar_days::updated_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            if n > 0 {
                added.push(date);
            }
        }
        if !added.is_empty() {
            diesel::update(calendar_settings::table)
                .set(calendar_settings::version.eq(calendar_settings::version + 1))
                .execute(conn)?;
            crate::db::calendar::append_admin_event(
                conn,
                None,
                "system",
                "calendar",
                "holidays_seeded",
                &serde_json::json!({ "source": "State Council notice on the 2026 holidays", "dates": added }),
                now,
            )?;
        }
        Ok(added.len())
    })
}

// ---------------------------------------------------------------------------------------------
// 行政区划: (code, name, level, parent code). Level 1 city, 2 district/county,
// 3 street/township, 4 community/village. Parents come before their children.
// ---------------------------------------------------------------------------------------------

const CITY: &str = "210300";

#[rustfmt::skip]
const DIVISIONS: &[(&str, &str, i16, Option<&str>)] = &[
    ("210300", "鞍山市", 1, None),

    ("210302", "铁东区", 2, Some(CITY)),
    ("210303", "铁西区", 2, Some(CITY)),
    ("210304", "立山区", 2, Some(CITY)),
    ("210311", "千山区", 2, Some(CITY)),
    ("210321", "台安县", 2, Some(CITY)),
    ("210323", "岫岩满族自治县", 2, Some(CITY)),
    ("210381", "海城市", 2, Some(CITY)),

    // 铁东区
    ("210302001", "解放街道", 3, Some("210302")),
    ("210302002", "山南街道", 3, Some("210302")),
    ("210302003", "站前街道", 3, Some("210302")),
    ("210302004", "胜利街道", 3, Some("210302")),
    ("210302005", "长甸街道", 3, Some("210302")),
    ("210302006", "园林街道", 3, Some("210302")),
    ("210302007", "旧堡街道", 3, Some("210302")),
    // 铁西区
    ("210303001", "八家子街道", 3, Some("210303")),
    ("210303002", "繁荣街道", 3, Some("210303")),
    ("210303003", "永乐街道", 3, Some("210303")),
    ("210303004", "宁德街道", 3, Some("210303")),
    ("210303005", "大陆街道", 3, Some("210303")),
    ("210303006", "兴盛街道", 3, Some("210303")),
    // 立山区
    ("210304001", "友好街道", 3, Some("210304")),
    ("210304002", "灵山街道", 3, Some("210304")),
    ("210304003", "深沟寺街道", 3, Some("210304")),
    ("210304004", "曙光街道", 3, Some("210304")),
    ("210304005", "双山街道", 3, Some("210304")),
    // 千山区
    ("210311101", "千山镇", 3, Some("210311")),
    ("210311102", "唐家房镇", 3, Some("210311")),
    ("210311103", "大屯镇", 3, Some("210311")),
    ("210311104", "宁远镇", 3, Some("210311")),
    ("210311105", "东鞍山镇", 3, Some("210311")),
    // 台安县
    ("210321001", "八角台街道", 3, Some("210321")),
    ("210321101", "新开河镇", 3, Some("210321")),
    ("210321102", "桑林镇", 3, Some("210321")),
    ("210321103", "达牛镇", 3, Some("210321")),
    // 岫岩满族自治县
    ("210323001", "雅河街道", 3, Some("210323")),
    ("210323002", "兴隆街道", 3, Some("210323")),
    ("210323003", "阜昌街道", 3, Some("210323")),
    ("210323101", "偏岭镇", 3, Some("210323")),
    ("210323102", "前营镇", 3, Some("210323")),
    // 海城市
    ("210381001", "海州管理区", 3, Some("210381")),
    ("210381002", "兴海管理区", 3, Some("210381")),
    ("210381003", "响堂管理区", 3, Some("210381")),
    ("210381101", "牛庄镇", 3, Some("210381")),
    ("210381102", "腾鳌镇", 3, Some("210381")),
    ("210381103", "西柳镇", 3, Some("210381")),

    // 社区
    ("210302001001", "东山社区", 4, Some("210302001")),
    ("210302001002", "和平社区", 4, Some("210302001")),
    ("210302001003", "二一九社区", 4, Some("210302001")),
    ("210302006001", "园林社区", 4, Some("210302006")),
    ("210302006002", "绿化社区", 4, Some("210302006")),
    ("210303001001", "八家子社区", 4, Some("210303001")),
    ("210303001002", "工人村社区", 4, Some("210303001")),
    ("210304001001", "立山社区", 4, Some("210304001")),
    ("210304001002", "友好社区", 4, Some("210304001")),
    ("210304001003", "光明社区", 4, Some("210304001")),
    ("210381001001", "东关社区", 4, Some("210381001")),
    ("210381001002", "西关社区", 4, Some("210381001")),
];

// ---------------------------------------------------------------------------------------------
// 承办单位: (code, name, kind, division code, e-mail).
// ---------------------------------------------------------------------------------------------

const HOTLINE_CENTRE: &str = "hotline_centre";
const CITY_BUREAU: &str = "city_bureau";
const DISTRICT_GOVERNMENT: &str = "district_government";
const DISTRICT_BUREAU: &str = "district_bureau";
const STREET_OFFICE: &str = "street_office";
const UTILITY: &str = "utility";

#[rustfmt::skip]
const DEPARTMENTS: &[(&str, &str, &str, &str, &str)] = &[
    ("hotline",   "鞍山市8890便民服务中心",           HOTLINE_CENTRE, CITY, "8890@anshan.example"),

    // 市直部门
    ("housing",   "鞍山市住房和城乡建设局",           CITY_BUREAU, CITY, "zjj@anshan.example"),
    ("urban",     "鞍山市城市管理综合行政执法局",     CITY_BUREAU, CITY, "cgzf@anshan.example"),
    ("market",    "鞍山市市场监督管理局",             CITY_BUREAU, CITY, "scjg@anshan.example"),
    ("hrss",      "鞍山市人力资源和社会保障局",       CITY_BUREAU, CITY, "rsj@anshan.example"),
    ("ecology",   "鞍山市生态环境局",                 CITY_BUREAU, CITY, "sthj@anshan.example"),
    ("transport", "鞍山市交通运输局",                 CITY_BUREAU, CITY, "jtj@anshan.example"),
    ("education", "鞍山市教育局",                     CITY_BUREAU, CITY, "jyj@anshan.example"),
    ("health",    "鞍山市卫生健康委员会",             CITY_BUREAU, CITY, "wjw@anshan.example"),
    ("police",    "鞍山市公安局",                     CITY_BUREAU, CITY, "gaj@anshan.example"),
    ("land",      "鞍山市自然资源局",                 CITY_BUREAU, CITY, "zrzy@anshan.example"),
    ("civil",     "鞍山市民政局",                     CITY_BUREAU, CITY, "mzj@anshan.example"),
    ("medical",   "鞍山市医疗保障局",                 CITY_BUREAU, CITY, "ybj@anshan.example"),

    // 公用事业
    ("heating",   "鞍山市热力集团",                   UTILITY, CITY, "kefu@reli.anshan.example"),
    ("water",     "鞍山市自来水总公司",               UTILITY, CITY, "kefu@zilaishui.anshan.example"),
    ("gas",       "鞍山市燃气集团",                   UTILITY, CITY, "kefu@ranqi.anshan.example"),
    ("power",     "国网鞍山供电公司",                 UTILITY, CITY, "95598@anshan.sgcc.example"),
    ("bus",       "鞍山市公共交通集团",               UTILITY, CITY, "kefu@gongjiao.anshan.example"),

    // 区城市管理局 (night noise and street order go to the district's own urban management)
    ("urban-210302", "铁东区城市管理局",              DISTRICT_BUREAU, "210302", "cgj@td.anshan.example"),
    ("urban-210303", "铁西区城市管理局",              DISTRICT_BUREAU, "210303", "cgj@tx.anshan.example"),
    ("urban-210304", "立山区城市管理局",              DISTRICT_BUREAU, "210304", "cgj@ls.anshan.example"),
    ("urban-210311", "千山区城市管理局",              DISTRICT_BUREAU, "210311", "cgj@qs.anshan.example"),

    // 区县政府
    ("gov-210302", "铁东区人民政府",                  DISTRICT_GOVERNMENT, "210302", "8890@td.anshan.example"),
    ("gov-210303", "铁西区人民政府",                  DISTRICT_GOVERNMENT, "210303", "8890@tx.anshan.example"),
    ("gov-210304", "立山区人民政府",                  DISTRICT_GOVERNMENT, "210304", "8890@ls.anshan.example"),
    ("gov-210311", "千山区人民政府",                  DISTRICT_GOVERNMENT, "210311", "8890@qs.anshan.example"),
    ("gov-210321", "台安县人民政府",                  DISTRICT_GOVERNMENT, "210321", "8890@ta.anshan.example"),
    ("gov-210323", "岫岩满族自治县人民政府",          DISTRICT_GOVERNMENT, "210323", "8890@xy.anshan.example"),
    ("gov-210381", "海城市人民政府",                  DISTRICT_GOVERNMENT, "210381", "8890@hc.anshan.example"),

    // 街道办事处 / 乡镇人民政府
    ("st-210302001", "解放街道办事处",   STREET_OFFICE, "210302001", "jiefang@td.anshan.example"),
    ("st-210302002", "山南街道办事处",   STREET_OFFICE, "210302002", "shannan@td.anshan.example"),
    ("st-210302003", "站前街道办事处",   STREET_OFFICE, "210302003", "zhanqian@td.anshan.example"),
    ("st-210302004", "胜利街道办事处",   STREET_OFFICE, "210302004", "shengli@td.anshan.example"),
    ("st-210302005", "长甸街道办事处",   STREET_OFFICE, "210302005", "changdian@td.anshan.example"),
    ("st-210302006", "园林街道办事处",   STREET_OFFICE, "210302006", "yuanlin@td.anshan.example"),
    ("st-210302007", "旧堡街道办事处",   STREET_OFFICE, "210302007", "jiubao@td.anshan.example"),
    ("st-210303001", "八家子街道办事处", STREET_OFFICE, "210303001", "bajiazi@tx.anshan.example"),
    ("st-210303002", "繁荣街道办事处",   STREET_OFFICE, "210303002", "fanrong@tx.anshan.example"),
    ("st-210303003", "永乐街道办事处",   STREET_OFFICE, "210303003", "yongle@tx.anshan.example"),
    ("st-210303004", "宁德街道办事处",   STREET_OFFICE, "210303004", "ningde@tx.anshan.example"),
    ("st-210303005", "大陆街道办事处",   STREET_OFFICE, "210303005", "dalu@tx.anshan.example"),
    ("st-210303006", "兴盛街道办事处",   STREET_OFFICE, "210303006", "xingsheng@tx.anshan.example"),
    ("st-210304001", "友好街道办事处",   STREET_OFFICE, "210304001", "youhao@ls.anshan.example"),
    ("st-210304002", "灵山街道办事处",   STREET_OFFICE, "210304002", "lingshan@ls.anshan.example"),
    ("st-210304003", "深沟寺街道办事处", STREET_OFFICE, "210304003", "shengousi@ls.anshan.example"),
    ("st-210304004", "曙光街道办事处",   STREET_OFFICE, "210304004", "shuguang@ls.anshan.example"),
    ("st-210304005", "双山街道办事处",   STREET_OFFICE, "210304005", "shuangshan@ls.anshan.example"),
    ("st-210311101", "千山镇人民政府",   STREET_OFFICE, "210311101", "qianshan@qs.anshan.example"),
    ("st-210311102", "唐家房镇人民政府", STREET_OFFICE, "210311102", "tangjiafang@qs.anshan.example"),
    ("st-210311103", "大屯镇人民政府",   STREET_OFFICE, "210311103", "datun@qs.anshan.example"),
    ("st-210311104", "宁远镇人民政府",   STREET_OFFICE, "210311104", "ningyuan@qs.anshan.example"),
    ("st-210311105", "东鞍山镇人民政府", STREET_OFFICE, "210311105", "donganshan@qs.anshan.example"),
    ("st-210321001", "八角台街道办事处", STREET_OFFICE, "210321001", "bajiaotai@ta.anshan.example"),
    ("st-210321101", "新开河镇人民政府", STREET_OFFICE, "210321101", "xinkaihe@ta.anshan.example"),
    ("st-210321102", "桑林镇人民政府",   STREET_OFFICE, "210321102", "sanglin@ta.anshan.example"),
    ("st-210321103", "达牛镇人民政府",   STREET_OFFICE, "210321103", "daniu@ta.anshan.example"),
    ("st-210323001", "雅河街道办事处",   STREET_OFFICE, "210323001", "yahe@xy.anshan.example"),
    ("st-210323002", "兴隆街道办事处",   STREET_OFFICE, "210323002", "xinglong@xy.anshan.example"),
    ("st-210323003", "阜昌街道办事处",   STREET_OFFICE, "210323003", "fuchang@xy.anshan.example"),
    ("st-210323101", "偏岭镇人民政府",   STREET_OFFICE, "210323101", "pianling@xy.anshan.example"),
    ("st-210323102", "前营镇人民政府",   STREET_OFFICE, "210323102", "qianying@xy.anshan.example"),
    ("st-210381001", "海州管理区管理委员会", STREET_OFFICE, "210381001", "haizhou@hc.anshan.example"),
    ("st-210381002", "兴海管理区管理委员会", STREET_OFFICE, "210381002", "xinghai@hc.anshan.example"),
    ("st-210381003", "响堂管理区管理委员会", STREET_OFFICE, "210381003", "xiangtang@hc.anshan.example"),
    ("st-210381101", "牛庄镇人民政府",   STREET_OFFICE, "210381101", "niuzhuang@hc.anshan.example"),
    ("st-210381102", "腾鳌镇人民政府",   STREET_OFFICE, "210381102", "tengao@hc.anshan.example"),
    ("st-210381103", "西柳镇人民政府",   STREET_OFFICE, "210381103", "xiliu@hc.anshan.example"),
];

// ---------------------------------------------------------------------------------------------
// 问题分类: (code, name, parent code). A child's code is its parent's code plus ".NN".
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const CATEGORIES: &[(&str, &str, Option<&str>)] = &[
    ("01",       "城乡建设", None),
    ("01.01",    "物业管理", Some("01")),
    ("01.01.01", "物业服务", Some("01.01")),
    ("01.01.02", "物业收费", Some("01.01")),
    ("01.01.03", "电梯故障", Some("01.01")),
    ("01.01.04", "小区漏水", Some("01.01")),
    ("01.02",    "房屋与住房保障", Some("01")),
    ("01.02.01", "房屋质量", Some("01.02")),
    ("01.02.02", "延期交房", Some("01.02")),
    ("01.02.03", "老旧小区改造", Some("01.02")),
    ("01.02.04", "公租房与棚改", Some("01.02")),

    ("02",       "城市管理", None),
    ("02.01",    "市容环境", Some("02")),
    ("02.01.01", "占道经营", Some("02.01")),
    ("02.01.02", "垃圾清运", Some("02.01")),
    ("02.01.03", "乱贴乱画", Some("02.01")),
    ("02.02",    "违法建设", Some("02")),
    ("02.02.01", "违章建筑", Some("02.02")),
    ("02.02.02", "毁绿占绿", Some("02.02")),
    ("02.03",    "市政设施", Some("02")),
    ("02.03.01", "道路破损", Some("02.03")),
    ("02.03.02", "井盖缺失", Some("02.03")),
    ("02.03.03", "路灯不亮", Some("02.03")),
    ("02.03.04", "排水不畅", Some("02.03")),

    ("03",       "公用事业", None),
    ("03.01",    "供热", Some("03")),
    ("03.01.01", "室温不达标", Some("03.01")),
    ("03.01.02", "供热管网漏水", Some("03.01")),
    ("03.01.03", "供热收费", Some("03.01")),
    ("03.01.04", "停热", Some("03.01")),
    ("03.02",    "供水", Some("03")),
    ("03.02.01", "停水", Some("03.02")),
    ("03.02.02", "水质问题", Some("03.02")),
    ("03.02.03", "水压低", Some("03.02")),
    ("03.02.04", "供水管道漏水", Some("03.02")),
    ("03.03",    "燃气", Some("03")),
    ("03.03.01", "燃气泄漏", Some("03.03")),
    ("03.03.02", "燃气停气", Some("03.03")),
    ("03.03.03", "燃气开户与收费", Some("03.03")),
    ("03.04",    "供电", Some("03")),
    ("03.04.01", "停电", Some("03.04")),
    ("03.04.02", "电压不稳", Some("03.04")),
    ("03.04.03", "电力设施隐患", Some("03.04")),

    ("04",       "市场监管", None),
    ("04.01",    "食品药品", Some("04")),
    ("04.01.01", "食品安全", Some("04.01")),
    ("04.01.02", "药品质量", Some("04.01")),
    ("04.02",    "消费维权", Some("04")),
    ("04.02.01", "价格欺诈", Some("04.02")),
    ("04.02.02", "预付卡退费", Some("04.02")),
    ("04.02.03", "产品质量", Some("04.02")),

    ("05",       "劳动保障", None),
    ("05.01",    "劳动关系", Some("05")),
    ("05.01.01", "拖欠工资", Some("05.01")),
    ("05.01.02", "劳动合同纠纷", Some("05.01")),
    ("05.02",    "社会保险", Some("05")),
    ("05.02.01", "社保缴纳", Some("05.02")),
    ("05.02.02", "养老金待遇", Some("05.02")),
    ("05.02.03", "失业保险", Some("05.02")),

    ("06",       "生态环境", None),
    ("06.01",    "大气污染", Some("06")),
    ("06.01.01", "油烟污染", Some("06.01")),
    ("06.01.02", "扬尘污染", Some("06.01")),
    ("06.01.03", "工业废气", Some("06.01")),
    ("06.02",    "噪声污染", Some("06")),
    ("06.02.01", "噪音扰民", Some("06.02")),
    ("06.02.02", "夜间施工", Some("06.02")),
    ("06.03",    "水污染", Some("06")),
    ("06.03.01", "污水排放", Some("06.03")),

    ("07",       "交通运输", None),
    ("07.01",    "公共交通", Some("07")),
    ("07.01.01", "公交线路", Some("07.01")),
    ("07.01.02", "公交服务", Some("07.01")),
    ("07.02",    "出租汽车", Some("07")),
    ("07.02.01", "出租车拒载", Some("07.02")),
    ("07.02.02", "出租车绕路议价", Some("07.02")),
    ("07.03",    "公路养护", Some("07")),
    ("07.03.01", "农村公路破损", Some("07.03")),

    ("08",       "教育", None),
    ("08.01",    "学校管理", Some("08")),
    ("08.01.01", "学校收费", Some("08.01")),
    ("08.01.02", "入学招生", Some("08.01")),
    ("08.01.03", "校外培训", Some("08.01")),

    ("09",       "卫生健康", None),
    ("09.01",    "医疗服务", Some("09")),
    ("09.01.01", "医患纠纷", Some("09.01")),
    ("09.01.02", "医疗收费", Some("09.01")),
    ("09.02",    "医疗保障", Some("09")),
    ("09.02.01", "医保报销", Some("09.02")),
    ("09.02.02", "医保异地就医", Some("09.02")),
    ("09.03",    "公共卫生", Some("09")),
    ("09.03.01", "疫苗接种", Some("09.03")),

    ("10",       "社会治安", None),
    ("10.01",    "治安管理", Some("10")),
    ("10.01.01", "户籍办理", Some("10.01")),
    ("10.01.02", "电信诈骗", Some("10.01")),
    ("10.02",    "交通管理", Some("10")),
    ("10.02.01", "乱停乱放", Some("10.02")),
    ("10.02.02", "交通信号灯", Some("10.02")),

    ("11",       "民政服务", None),
    ("11.01",    "社会救助", Some("11")),
    ("11.01.01", "低保申请", Some("11.01")),
    ("11.01.02", "临时救助", Some("11.01")),
    ("11.02",    "养老服务", Some("11")),
    ("11.02.01", "养老机构", Some("11.02")),
    ("11.02.02", "高龄补贴", Some("11.02")),
    ("11.03",    "殡葬管理", Some("11")),
    ("11.03.01", "殡葬服务", Some("11.03")),

    ("12",       "自然资源", None),
    ("12.01",    "不动产登记", Some("12")),
    ("12.01.01", "办证难", Some("12.01")),
    ("12.02",    "土地管理", Some("12")),
    ("12.02.01", "违法占地", Some("12.02")),

    ("99",       "其他", None),
];

// ---------------------------------------------------------------------------------------------
// 演示账号
// ---------------------------------------------------------------------------------------------

const fn login(
    username: &'static str,
    role: &'static str,
    department_code: Option<&'static str>,
    display_name: &'static str,
) -> DemoLogin {
    DemoLogin {
        username,
        password: DEMO_PASSWORD,
        role,
        department_code,
        display_name,
    }
}

/// Departments that hand new appeals to their least-loaded clerk.
const AUTO_ASSIGN: &[&str] = &["heating"];

/// The demo staff logins, all with password [`DEMO_PASSWORD`].
#[rustfmt::skip]
pub const DEMO_LOGINS: &[DemoLogin] = &[
    login("admin",         "admin",      None,                 "张伟"),
    login("dispatcher",    "dispatcher", Some("hotline"),      "李娜"),
    login("supervisor",    "supervisor", Some("hotline"),      "王芳"),
    login("clerk.heating", "clerk",      Some("heating"),      "刘洋"),
    login("clerk.heating2", "clerk",     Some("heating"),      "周强"),
    login("clerk.water",   "clerk",      Some("water"),        "陈静"),
    login("clerk.urban",   "clerk",      Some("urban"),        "赵磊"),
    login("clerk.jiefang", "clerk",      Some("st-210302001"), "孙丽"),
];

/// The demo dispatch catalogue (派单目录): (priority, name, continue, conditions, action, note).
fn demo_rules() -> Vec<(
    i32,
    &'static str,
    bool,
    serde_json::Value,
    serde_json::Value,
    &'static str,
)> {
    use serde_json::json;
    let night = json!(["夜间", "晚上", "凌晨", "半夜", "深夜"]);
    let mut rules = vec![
        (
            10,
            "燃气泄漏一律按紧急处理",
            true,
            json!({"keywords_any": ["燃气泄漏", "煤气泄漏", "燃气味", "煤气味", "漏气"]}),
            json!({"deadline_class": "urgent", "urgency": "urgent"}),
            "keywords force the urgent class; a later rule picks the department",
        ),
        (
            20,
            "燃气问题派燃气集团",
            false,
            json!({"category_prefixes": ["03.03"]}),
            json!({"lead": {"type": "department", "code": "gas"}}),
            "",
        ),
        (
            21,
            "提到燃气泄漏的派燃气集团",
            false,
            json!({"keywords_any": ["燃气泄漏", "煤气泄漏"]}),
            json!({"lead": {"type": "department", "code": "gas"}}),
            "",
        ),
        (
            30,
            "采暖季供热问题派热力集团",
            false,
            json!({"category_prefixes": ["03.01"], "season_start": "11-01", "season_end": "03-31"}),
            json!({"lead": {"type": "department", "code": "heating"}, "deadline_class": "livelihood"}),
            "heating season 11-01 to 03-31",
        ),
        (
            40,
            "非采暖季供热问题派住建局",
            false,
            json!({"category_prefixes": ["03.01"]}),
            json!({"lead": {"type": "department", "code": "housing"}}),
            "outside the season the housing bureau answers for heating",
        ),
    ];
    for (i, district) in ["210302", "210303", "210304", "210311"]
        .into_iter()
        .enumerate()
    {
        let name: &'static str = [
            "铁东区夜间噪音派区城管",
            "铁西区夜间噪音派区城管",
            "立山区夜间噪音派区城管",
            "千山区夜间噪音派区城管",
        ][i];
        rules.push((50 + i as i32, name, false,
            json!({"category_prefixes": ["06.02"], "division_prefixes": [district], "keywords_any": night}),
            json!({"lead": {"type": "department", "code": format!("urban-{district}")}}), ""));
    }
    rules.extend([
        (55, "其他区县夜间噪音派市城管", false,
         json!({"category_prefixes": ["06.02"], "keywords_any": night}),
         json!({"lead": {"type": "department", "code": "urban"}}), ""),
        (60, "拖欠工资派人社局，属地街道协办", false,
         json!({"category_prefixes": ["05.01.01"]}),
         json!({"lead": {"type": "department", "code": "hrss"}, "co_division_office_level": 3}),
         "citizen or enterprise alike"),
        (61, "提到欠薪的派人社局，属地街道协办", false,
         json!({"keywords_any": ["拖欠工资", "欠薪", "讨薪", "工资不发"]}),
         json!({"lead": {"type": "department", "code": "hrss"}, "co_division_office_level": 3}), ""),
        (90, "属地街道兜底（直派街乡）", false,
         json!({}),
         json!({"lead": {"type": "division_office", "level": 3}}),
         "every other matter goes to its street office; an appeal naming only a district goes to the district government"),
    ]);
    rules
}

/// Loads the demo routing rules when there are none yet (an administrator's table is never
/// touched). Returns how many were added.
pub fn load_demo_rules(conn: &mut diesel::PgConnection) -> anyhow::Result<usize> {
    use crate::db::routing::{NewRuleVersion, insert_version, next_rule_id};
    use crate::db::schema::routing_rules;
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        crate::db::routing::bump_version(conn)?; // also serialises concurrent seeders
        let existing: i64 = routing_rules::table.count().get_result(conn)?;
        if existing > 0 {
            return Ok(0);
        }
        let now = chrono::Utc::now();
        let rules = demo_rules();
        for (priority, name, continue_matching, conditions, action, note) in &rules {
            let id = next_rule_id(conn)?;
            insert_version(
                conn,
                &NewRuleVersion {
                    id,
                    version: 1,
                    name,
                    priority: *priority,
                    enabled: true,
                    continue_matching: *continue_matching,
                    conditions,
                    action,
                    created_by: None,
                    created_at: now,
                    note: Some(note).filter(|n| !n.is_empty()).map(|n| &**n),
                },
            )
            .with_context(|| format!("seeding routing rule {name}"))?;
        }
        Ok(rules.len())
    })
}

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

#[derive(Insertable)]
#[diesel(table_name = divisions)]
struct NewDivision<'a> {
    code: &'a str,
    name: &'a str,
    parent_code: Option<&'a str>,
    level: i16,
}

#[derive(Insertable)]
#[diesel(table_name = departments)]
struct NewDepartment<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    division_code: &'a str,
    email: Option<&'a str>,
    active: bool,
    auto_assign: bool,
}

#[derive(Insertable)]
#[diesel(table_name = categories)]
struct NewCategory<'a> {
    code: &'a str,
    name: &'a str,
    parent_code: Option<&'a str>,
    active: bool,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    id: uuid::Uuid,
    username: &'a str,
    password_hash: &'a str,
    display_name: &'a str,
    role: &'a str,
    department_code: Option<&'a str>,
    active: bool,
    email: Option<&'a str>,
}

/// The questions some categories ask beyond the common form: (category, code, datatype,
/// required, question, what a valid answer looks like, position, choices as JSON).
#[rustfmt::skip]
type FieldSpec = (&'static str, &'static str, &'static str, bool, &'static str, Option<&'static str>, i16, &'static str);

#[rustfmt::skip]
const CATEGORY_FIELDS: &[FieldSpec] = &[
    ("03.01.01", "indoor_temperature", "number", true, "室内温度（℃） / Indoor temperature (°C)", Some("measured in the living room, e.g. 16.5"), 1, "[]"),
    ("03.01.01", "rooms", "multivaluelist", false, "不热的房间 / Rooms that stay cold", None, 2,
     r#"[{"key":"living","name":"客厅 / living room"},{"key":"bedroom","name":"卧室 / bedroom"},{"key":"kitchen","name":"厨房 / kitchen"}]"#),
    ("03.01.04", "since", "datetime", false, "何时停热 / Heating off since", Some("RFC 3339, e.g. 2026-12-01T06:00:00+08:00"), 1, "[]"),
    ("03.02.01", "since", "datetime", false, "何时停水 / Water off since", Some("RFC 3339, e.g. 2026-12-01T06:00:00+08:00"), 1, "[]"),
    ("03.04.01", "since", "datetime", false, "何时停电 / Power off since", Some("RFC 3339, e.g. 2026-12-01T06:00:00+08:00"), 1, "[]"),
    ("05.01.01", "employer", "string", true, "用人单位名称 / Employer", None, 1, "[]"),
    ("05.01.01", "amount_owed", "number", false, "拖欠金额（元） / Amount owed (yuan)", None, 2, "[]"),
];

/// Depth of a category code: "01" → 1, "01.02" → 2, "01.02.03" → 3.
fn category_depth(code: &str) -> usize {
    code.split('.').count()
}

/// Loads divisions, departments, categories and demo users. Running it twice changes nothing
/// (second run inserts 0 rows and does not alter existing rows, e.g. users' password hashes).
pub fn load_demo_data(
    conn: &mut diesel::PgConnection,
    hash_password: &dyn Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<SeedSummary> {
    let summary = conn.transaction::<_, anyhow::Error, _>(|conn| {
        let mut summary = SeedSummary::default();

        // Divisions, one level at a time so that every parent exists before its children.
        let max_level = DIVISIONS.iter().map(|d| d.2).max().unwrap_or(0);
        for level in 1..=max_level {
            let rows: Vec<NewDivision<'_>> = DIVISIONS
                .iter()
                .filter(|d| d.2 == level)
                .map(|&(code, name, level, parent_code)| NewDivision {
                    code,
                    name,
                    parent_code,
                    level,
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            summary.divisions += diesel::insert_into(divisions::table)
                .values(&rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .with_context(|| format!("seeding level-{level} divisions"))?;
        }

        let rows: Vec<NewDepartment<'_>> = DEPARTMENTS
            .iter()
            .map(|&(code, name, kind, division_code, email)| NewDepartment {
                code,
                name,
                kind,
                division_code,
                email: Some(email),
                active: true,
                auto_assign: AUTO_ASSIGN.contains(&code),
            })
            .collect();
        summary.departments += diesel::insert_into(departments::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .context("seeding departments")?;

        // Categories, one depth at a time (parents first).
        let max_depth = CATEGORIES
            .iter()
            .map(|c| category_depth(c.0))
            .max()
            .unwrap_or(0);
        for depth in 1..=max_depth {
            let rows: Vec<NewCategory<'_>> = CATEGORIES
                .iter()
                .filter(|c| category_depth(c.0) == depth)
                .map(|&(code, name, parent_code)| NewCategory {
                    code,
                    name,
                    parent_code,
                    active: true,
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            summary.categories += diesel::insert_into(categories::table)
                .values(&rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .with_context(|| format!("seeding depth-{depth} categories"))?;
        }

        // The extra questions some categories ask (Open311 service attributes).
        let fields: Vec<crate::db::open311::NewCategoryField<'_>> = CATEGORY_FIELDS
            .iter()
            .map(|f| crate::db::open311::NewCategoryField {
                category_code: f.0,
                code: f.1,
                datatype: f.2,
                required: f.3,
                description: f.4,
                datatype_description: f.5,
                position: f.6,
                choices: serde_json::from_str(f.7).unwrap_or_else(|_| serde_json::json!([])),
            })
            .collect();
        crate::db::open311::insert_fields(conn, &fields).context("seeding category fields")?;

        // Users: hash passwords (slow) only for logins that do not exist yet.
        let usernames: Vec<&str> = DEMO_LOGINS.iter().map(|l| l.username).collect();
        let existing: Vec<String> = users::table
            .filter(users::username.eq_any(&usernames))
            .select(users::username)
            .load(conn)
            .context("looking up demo users")?;
        for demo in DEMO_LOGINS
            .iter()
            .filter(|l| !existing.iter().any(|e| e == l.username))
        {
            let hash = hash_password(demo.password)
                .with_context(|| format!("hashing the password of demo user {}", demo.username))?;
            summary.users += diesel::insert_into(users::table)
                .values(&NewUser {
                    id: uuid::Uuid::new_v4(),
                    username: demo.username,
                    password_hash: &hash,
                    display_name: demo.display_name,
                    role: demo.role,
                    department_code: demo.department_code,
                    active: true,
                    // supervisors receive escalations (督办) by e-mail
                    email: (demo.role == "supervisor")
                        .then_some("supervisor@hotline.anshan.example"),
                })
                .on_conflict_do_nothing()
                .execute(conn)
                .with_context(|| format!("seeding demo user {}", demo.username))?;
        }

        Ok(summary)
    })?;
    let summary = SeedSummary {
        calendar_days: load_holidays(conn)?,
        ..summary
    };

    tracing::info!(
        divisions = summary.divisions,
        departments = summary.departments,
        categories = summary.categories,
        users = summary.users,
        "demo data loaded"
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn division_levels() -> HashMap<&'static str, i16> {
        DIVISIONS.iter().map(|d| (d.0, d.2)).collect()
    }

    fn department_codes() -> HashSet<&'static str> {
        DEPARTMENTS.iter().map(|d| d.0).collect()
    }

    fn is_email(s: &str) -> bool {
        match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !s.chars().any(char::is_whitespace)
            }
            None => false,
        }
    }

    #[test]
    fn codes_are_unique() {
        assert_eq!(
            division_levels().len(),
            DIVISIONS.len(),
            "duplicate division code"
        );
        assert_eq!(
            department_codes().len(),
            DEPARTMENTS.len(),
            "duplicate department code"
        );
        let cats: HashSet<_> = CATEGORIES.iter().map(|c| c.0).collect();
        assert_eq!(cats.len(), CATEGORIES.len(), "duplicate category code");
        let users: HashSet<_> = DEMO_LOGINS.iter().map(|l| l.username).collect();
        assert_eq!(users.len(), DEMO_LOGINS.len(), "duplicate demo username");
    }

    #[test]
    fn divisions_form_a_code_tree() {
        let levels = division_levels();
        let mut seen = HashSet::new();
        for &(code, name, level, parent) in DIVISIONS {
            assert!(
                (6..=15).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()),
                "bad division code {code}"
            );
            assert!(
                !name.is_empty() && name.chars().count() <= 64,
                "bad name for {code}"
            );
            assert!((1..=5).contains(&level), "bad level for {code}");
            let expected_len = match level {
                1 | 2 => 6,
                3 => 9,
                4 => 12,
                _ => 15,
            };
            assert_eq!(
                code.len(),
                expected_len,
                "{code} has the wrong length for level {level}"
            );
            match parent {
                None => assert_eq!(level, 1, "{code} has no parent"),
                Some(parent) => {
                    assert!(
                        seen.contains(parent),
                        "{code}: parent {parent} missing or listed after it"
                    );
                    assert_eq!(
                        levels[parent],
                        level - 1,
                        "{code}: parent {parent} is not one level up"
                    );
                    if level == 2 {
                        assert_eq!(parent, CITY, "district {code} must hang under the city");
                        assert_eq!(&code[..4], &CITY[..4], "district {code} is not in 2103xx");
                    } else {
                        assert!(code.starts_with(parent), "{code} does not extend {parent}");
                    }
                }
            }
            seen.insert(code);
        }
        assert_eq!(DIVISIONS.iter().filter(|d| d.2 == 1).count(), 1);
        assert_eq!(DIVISIONS.iter().filter(|d| d.2 == 2).count(), 7);
        for &(district, _, _, _) in DIVISIONS.iter().filter(|d| d.2 == 2) {
            let streets = DIVISIONS.iter().filter(|d| d.3 == Some(district)).count();
            assert!(
                streets >= 2,
                "district {district} has only {streets} streets"
            );
        }
        assert!(DIVISIONS.iter().any(|d| d.2 == 4), "no communities");
    }

    #[test]
    fn departments_are_valid() {
        let levels = division_levels();
        for &(code, name, kind, division, email) in DEPARTMENTS {
            assert!(
                (2..=32).contains(&code.len())
                    && code.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || matches!(b, b'_' | b'.' | b'-')),
                "bad department code {code}"
            );
            assert!(
                !name.is_empty() && name.chars().count() <= 100,
                "bad name for {code}"
            );
            assert!(
                kind.parse::<crate::domain::enums::DepartmentKind>().is_ok(),
                "bad kind {kind} for {code}"
            );
            let level = levels.get(division).copied();
            assert!(level.is_some(), "{code}: division {division} missing");
            assert!(
                is_email(email) && email.ends_with(".example"),
                "bad e-mail {email} for {code}"
            );
            match kind {
                STREET_OFFICE => {
                    assert_eq!(level, Some(3), "{code} is not at a street");
                    assert_eq!(code, format!("st-{division}"), "street office code");
                }
                DISTRICT_GOVERNMENT => {
                    assert_eq!(level, Some(2), "{code} is not at a district");
                    assert_eq!(code, format!("gov-{division}"), "district government code");
                }
                DISTRICT_BUREAU => assert_eq!(level, Some(2), "{code} is not at a district"),
                _ => assert_eq!(division, CITY, "{code} should cover the whole city"),
            }
        }
        assert!(department_codes().contains("hotline"));
    }

    #[test]
    fn demo_rules_are_valid_rules() {
        use crate::domain::routing::{Conditions, RuleAction, check_rule};
        let departments = department_codes();
        for (_, name, continue_matching, conditions, action, _) in demo_rules() {
            let conditions: Conditions = serde_json::from_value(conditions).expect(name);
            let action: RuleAction = serde_json::from_value(action).expect(name);
            assert!(
                check_rule(&conditions, &action, continue_matching).is_ok(),
                "{name}"
            );
            if let Some(crate::domain::routing::LeadTarget::Department { code }) = &action.lead {
                assert!(departments.contains(code.as_str()), "{name}: {code}");
            }
            for prefix in &conditions.category_prefixes {
                assert!(
                    CATEGORIES.iter().any(|c| c.0.starts_with(prefix.as_str())),
                    "{name}: {prefix}"
                );
            }
        }
    }

    #[test]
    fn every_district_and_street_has_its_office() {
        let codes = department_codes();
        for &(division, name, level, _) in DIVISIONS {
            match level {
                2 => assert!(
                    codes.contains(format!("gov-{division}").as_str()),
                    "{name} has no government"
                ),
                3 => assert!(
                    codes.contains(format!("st-{division}").as_str()),
                    "{name} has no office"
                ),
                _ => {}
            }
        }
    }

    #[test]
    fn categories_form_a_code_tree() {
        let mut seen = HashSet::new();
        for &(code, name, parent) in CATEGORIES {
            assert!(
                (1..=32).contains(&code.len())
                    && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'),
                "bad category code {code}"
            );
            assert!(
                !name.is_empty() && name.chars().count() <= 64,
                "bad name for {code}"
            );
            match parent {
                None => assert_eq!(category_depth(code), 1, "{code} has no parent"),
                Some(parent) => {
                    assert!(
                        seen.contains(parent),
                        "{code}: parent {parent} missing or listed after it"
                    );
                    assert!(
                        code.strip_prefix(parent)
                            .is_some_and(|rest| rest.starts_with('.')
                                && rest.len() > 1
                                && !rest[1..].contains('.')),
                        "{code} does not nest under {parent}"
                    );
                }
            }
            seen.insert(code);
        }
        let parents: HashSet<_> = CATEGORIES.iter().filter_map(|c| c.2).collect();
        let tops = CATEGORIES.iter().filter(|c| c.2.is_none()).count();
        let leaves = CATEGORIES.iter().filter(|c| !parents.contains(c.0)).count();
        assert!(tops >= 10, "only {tops} top-level categories");
        assert!(leaves >= 40, "only {leaves} leaf categories");
    }

    #[test]
    fn demo_logins_are_valid() {
        let codes = department_codes();
        for login in DEMO_LOGINS {
            assert!(
                (2..=64).contains(&login.username.len())
                    && login
                        .username
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')),
                "bad username {}",
                login.username
            );
            assert!(["clerk", "dispatcher", "supervisor", "admin"].contains(&login.role));
            assert_eq!(login.password, DEMO_PASSWORD);
            assert!(!login.display_name.is_empty());
            if login.role == "clerk" {
                assert!(
                    login.department_code.is_some(),
                    "clerk {} has no department",
                    login.username
                );
            }
            if let Some(dept) = login.department_code {
                assert!(
                    codes.contains(dept),
                    "{}: department {dept} missing",
                    login.username
                );
            }
        }
        let jiefang = DEMO_LOGINS.iter().find(|l| l.username == "clerk.jiefang");
        assert_eq!(
            jiefang.and_then(|l| l.department_code),
            Some("st-210302001")
        );
        assert!(
            DIVISIONS
                .iter()
                .any(|d| d.0 == "210302001" && d.1 == "解放街道")
        );
    }
}
