//! Routing decisions per second (DESIGN.md §4: "routing decisions per second with 1,000 rules").
//!
//! Builds realistic rule tables of 10, 100, 1,000 and 10,000 rules and 512 appeals with 300–800
//! characters of Chinese text, then measures `CompiledRules::decide` against a naive linear scan
//! over the same table in the same run. Results and the machine are in docs/PERFORMANCE.md.
//!
//! cargo bench --bench routing -- --warm-up-time 1 --measurement-time 3

use std::collections::HashMap;
use std::hint::black_box;

use chrono::{Datelike, NaiveDate};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use minxin::domain::enums::{
    AppealKind, AppellantKind, Channel, DeadlineClass, DepartmentKind, Urgency,
};
use minxin::domain::routing::{
    CompiledRules, Conditions, Decision, Directory, DivisionEntry, LeadTarget, MonthDay,
    OfficeEntry, Rule, RuleAction, RuleRef, Sample, check_rule,
};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
const APPEALS: usize = 512;

/// Words a hotline operator would file under, by theme (273 of them).
const KEYWORDS: &[&str] = &[
    // heating
    "供热",
    "暖气",
    "室温",
    "暖气不热",
    "采暖费",
    "供暖",
    "热力公司",
    "暖气片",
    "阀门",
    "放风",
    "停暖",
    "供暖期",
    "地暖",
    "温度不达标",
    "热计量",
    "分户计量",
    // water
    "停水",
    "水压低",
    "自来水",
    "水质浑浊",
    "水管破裂",
    "漏水",
    "下水道堵塞",
    "污水外溢",
    "水表",
    "二次供水",
    "井盖",
    "排水",
    "供水公司",
    // gas and power
    "燃气泄漏",
    "煤气味",
    "燃气表",
    "燃气公司",
    "燃气管道",
    "液化气",
    "燃气灶",
    "停电",
    "电压不稳",
    "电表",
    "电费",
    "电线老化",
    "路灯不亮",
    "变压器",
    "充电桩",
    // noise and nuisance
    "噪音",
    "扰民",
    "夜间施工",
    "广场舞",
    "装修噪音",
    "油烟",
    "异味",
    "粉尘",
    "烧烤",
    "高音喇叭",
    "露天烧烤",
    // environment
    "垃圾清运",
    "垃圾分类",
    "垃圾堆放",
    "环境卫生",
    "污染",
    "排污",
    "秸秆焚烧",
    "黑烟",
    "河道",
    "绿化",
    "树木修剪",
    "枯树",
    "杂草",
    "蚊虫",
    "老鼠",
    "偷倒垃圾",
    "建筑垃圾",
    "扬尘",
    "渣土车",
    // streets and traffic
    "占道经营",
    "道路破损",
    "坑洼",
    "积水",
    "交通拥堵",
    "乱停车",
    "停车位",
    "公交车",
    "公交线路",
    "出租车",
    "拒载",
    "网约车",
    "红绿灯",
    "信号灯",
    "斑马线",
    "人行道",
    "盲道",
    "共享单车",
    "电动车",
    "违停",
    "断路",
    "道路施工",
    "桥梁",
    "小广告",
    "乱贴乱画",
    "夜市",
    "摊贩",
    "流动商贩",
    "废品收购",
    "超载",
    // property and buildings
    "物业",
    "物业费",
    "电梯故障",
    "电梯",
    "楼道",
    "防盗门",
    "门禁",
    "单元门",
    "漏雨",
    "房屋漏水",
    "墙皮脱落",
    "外墙保温",
    "违建",
    "私搭乱建",
    "违章建筑",
    "业委会",
    "维修基金",
    "车库",
    "消防通道",
    "楼道堆物",
    // labour
    "拖欠工资",
    "欠薪",
    "劳动合同",
    "社保",
    "养老保险",
    "医疗保险",
    "失业保险",
    "工伤",
    "加班费",
    "辞退",
    "农民工",
    "讨薪",
    "公积金",
    "退休金",
    // consumers and markets
    "消费纠纷",
    "退款",
    "假冒伪劣",
    "价格欺诈",
    "食品安全",
    "过期食品",
    "无证经营",
    "餐馆",
    "外卖",
    "超市",
    "商场",
    "预付卡",
    "健身房",
    "美容美发",
    "跑路",
    "虚假宣传",
    "缺斤少两",
    "农贸市场",
    "药店",
    "电信诈骗",
    // housing
    "房产证",
    "不动产登记",
    "办证难",
    "回迁",
    "拆迁",
    "棚户区改造",
    "老旧小区改造",
    "公租房",
    "廉租房",
    "开发商",
    "延期交房",
    "房屋质量",
    // education and health
    "学校",
    "入学",
    "学区",
    "幼儿园",
    "校外培训",
    "补课",
    "校车",
    "教师",
    "食堂",
    "医院",
    "看病难",
    "医保报销",
    "疫苗",
    "社区卫生",
    "药品",
    "急救",
    "挂号",
    "医疗纠纷",
    // social affairs
    "低保",
    "残疾人",
    "养老院",
    "老年人",
    "高龄补贴",
    "救助",
    "困难家庭",
    "退役军人",
    "户口",
    "身份证",
    "居住证",
    "婚姻登记",
    "殡葬",
    // enterprises
    "营商环境",
    "审批",
    "办事效率",
    "企业开办",
    "税务",
    "发票",
    "融资难",
    "工程款",
    "招投标",
    "政府采购",
    "证照",
    "营业执照",
    "许可证",
    "吃拿卡要",
    "乱收费",
    "乱罚款",
    // safety
    "安全隐患",
    "火灾隐患",
    "消防",
    "危房",
    "坍塌",
    "高空坠物",
    "漏电",
    "违规用电",
    "飞线充电",
    "危化品",
    "烟花爆竹",
    "塔吊",
    "工地",
    // animals and countryside
    "流浪狗",
    "流浪猫",
    "养狗扰民",
    "遛狗不拴绳",
    "犬只伤人",
    "饲养家禽",
    "农田",
    "灌溉",
    "土地承包",
    "宅基地",
    "种子",
    "化肥",
    "农药",
    "村委会",
    "村务公开",
    // services and conduct
    "快递",
    "邮政",
    "网络信号",
    "宽带",
    "有线电视",
    "手机信号",
    "公厕",
    "公园",
    "健身器材",
    "文化活动",
    "退费",
    "补贴",
    "政策咨询",
    "投诉无果",
    "态度恶劣",
    "不作为",
    "推诿扯皮",
    "服务态度",
    "办事难",
    "门难进",
    "WiFi",
    "APP",
    "PM2.5",
];

/// Words a continue rule escalates on.
const EMERGENCY: &[&str] = &[
    "燃气泄漏",
    "煤气味",
    "坍塌",
    "火灾隐患",
    "高空坠物",
    "漏电",
    "危化品",
    "犬只伤人",
];

const ESTATES: &[&str] = &[
    "幸福小区",
    "胜利园",
    "和平花园",
    "铁东新村",
    "建设里",
    "湖南街小区",
    "园林小区",
    "明达新区",
    "山南小区",
    "钢都花园",
];

const FILLER: &[&str] = &[
    "这个问题已经持续很长时间了，",
    "多次向有关部门反映都没有得到解决，",
    "给我们的生活带来了很大不便，",
    "希望有关部门尽快派人处理，",
    "家里有八十多岁的老人和刚上学的孩子，",
    "楼上楼下的邻居们也都有同样的反映，",
    "之前打过好几次电话但是一直没人管，",
    "请尽快给予答复，谢谢。",
    "每天晚上十点以后还是这个样子，",
    "这种情况从上个月中旬就开始了，",
    "物业说这件事不归他们管，让我们自己找相关部门，",
    "社区工作人员来看过一次，但是后来就没有下文了，",
    "我们已经在业主群里商量过很多次，",
    "天气越来越冷，老人身体受不了，",
    "附近还有一所小学，孩子们上下学很不安全，",
    "希望能够彻底解决，而不是临时应付一下，",
    "我本人可以配合现场查看，随时联系我，",
    "上次答复说会在一周内处理，但到现在也没有动静，",
    "恳请领导重视，给老百姓一个说法。",
    "附近的商户也受到了影响，生意很难做，",
    "我们要求相关单位给出明确的处理时间，",
    "现场有照片和视频可以作为证据，",
];

/// A small deterministic generator, so every run benchmarks the same tables and appeals.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn words(&mut self, pool: &[&str], max: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for _ in 0..1 + self.below(max) {
            let w = (*self.pick(pool)).to_owned();
            if !out.contains(&w) {
                out.push(w);
            }
        }
        out
    }
}

/// The division tree: 7 districts under 210300, 12 streets each, 10 communities per street.
struct Geography {
    districts: Vec<String>,
    streets: Vec<String>,
    communities: Vec<String>,
    directory: Directory,
}

fn geography() -> Geography {
    let districts: Vec<String> = [
        "210302", "210303", "210304", "210311", "210321", "210323", "210381",
    ]
    .iter()
    .map(|d| (*d).to_owned())
    .collect();
    let mut divisions = vec![DivisionEntry {
        code: "210300".into(),
        parent_code: None,
        level: 1,
    }];
    let mut offices = Vec::new();
    let mut streets = Vec::new();
    let mut communities = Vec::new();
    for (di, district) in districts.iter().enumerate() {
        divisions.push(DivisionEntry {
            code: district.clone(),
            parent_code: Some("210300".into()),
            level: 2,
        });
        offices.push(OfficeEntry {
            department_code: format!("GOV-{district}"),
            division_code: district.clone(),
            kind: DepartmentKind::DistrictGovernment,
            active: true,
        });
        for s in 1..=12 {
            let street = format!("{district}{s:03}");
            divisions.push(DivisionEntry {
                code: street.clone(),
                parent_code: Some(district.clone()),
                level: 3,
            });
            offices.push(OfficeEntry {
                department_code: format!("ST-{street}"),
                division_code: street.clone(),
                kind: DepartmentKind::StreetOffice,
                // a few streets' offices were merged away: those fall back to the district
                active: (di + s) % 17 != 0,
            });
            for c in 1..=10 {
                let community = format!("{street}{c:03}");
                divisions.push(DivisionEntry {
                    code: community.clone(),
                    parent_code: Some(street.clone()),
                    level: 4,
                });
                communities.push(community);
            }
            streets.push(street);
        }
    }
    Geography {
        districts,
        streets,
        communities,
        directory: Directory { divisions, offices },
    }
}

/// A category leaf `NN.MM.LL`: 13 top classes, 8 subclasses, 6 leaves each.
fn category(rng: &mut XorShift, depth: usize) -> String {
    let top = format!("{:02}", 1 + rng.below(13));
    let mid = format!("{top}.{:02}", 1 + rng.below(8));
    match depth {
        1 => top,
        2 => mid,
        _ => format!("{mid}.{:02}", 1 + rng.below(6)),
    }
}

fn month_day(text: &str) -> Option<MonthDay> {
    text.parse().ok()
}

fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// One rule of a realistic mixture; `None` when check_rule would refuse it (then another is drawn).
fn random_rule(rng: &mut XorShift, geo: &Geography, id: i64, size: usize) -> Option<Rule> {
    let mut c = Conditions::default();
    let mut action = RuleAction::default();
    let mut continue_matching = false;
    // Priority bands, as administrators order a real table: escalations first, then the specific
    // rules, the general ones last (a general rule first would shadow every specific one).
    let band: i32;
    let department = |rng: &mut XorShift| LeadTarget::Department {
        code: format!("DEPT-{:03}", rng.below(120)),
    };
    match rng.below(100) {
        // by category, sometimes narrowed by place, words or kind
        0..45 => {
            let depth = *rng.pick(&[1, 2, 2, 3, 3, 3]);
            c.category_prefixes = vec![category(rng, depth)];
            band = match depth {
                3 => 2,
                2 => 4,
                _ => 5,
            };
            if rng.chance(30) {
                c.division_prefixes = vec![if rng.chance(50) {
                    rng.pick(&geo.districts).clone()
                } else {
                    rng.pick(&geo.streets).clone()
                }];
            }
            if rng.chance(20) {
                c.keywords_any = rng.words(KEYWORDS, 3);
            }
            if rng.chance(10) {
                c.keywords_none = rng.words(KEYWORDS, 1);
            }
            if rng.chance(10) {
                c.appeal_kinds = vec![*rng.pick(AppealKind::ALL), *rng.pick(AppealKind::ALL)];
            }
            if rng.chance(5) {
                c.appellant_kinds = vec![AppellantKind::Enterprise];
            }
            if rng.chance(5) {
                c.channels = vec![Channel::Hotline, Channel::Station];
            }
            action.lead = Some(department(rng));
            if rng.chance(5) {
                // the street office co-handles (unpaid wages and the like)
                action.co_division_office_level = Some(3);
            }
        }
        // by words, within a top class half the time; some go straight to the street
        45..75 => {
            band = 3;
            c.keywords_any = rng.words(KEYWORDS, 4);
            if rng.chance(50) {
                c.category_prefixes = vec![category(rng, 1)];
            }
            action.lead = Some(if rng.chance(30) {
                LeadTarget::DivisionOffice { level: 3 }
            } else {
                department(rng)
            });
        }
        // by place
        75..85 => {
            band = 2;
            c.division_prefixes = vec![rng.pick(&geo.streets).clone()];
            c.category_prefixes = vec![category(rng, 2)];
            action.lead = Some(if rng.chance(50) {
                LeadTarget::DivisionOffice { level: 3 }
            } else {
                department(rng)
            });
        }
        // heating season, within this season's validity
        85..92 => {
            band = 1;
            c.category_prefixes = vec!["03.01".into()];
            c.keywords_any = vec!["暖气".into(), "室温".into(), "供热".into(), "供暖".into()];
            c.season_start = month_day("11-01");
            c.season_end = month_day("03-31");
            if rng.chance(50) {
                c.valid_from = day(2026, 10, 15);
                c.valid_until = day(2027, 4, 15);
            }
            c.division_prefixes = vec![rng.pick(&geo.districts).clone()];
            action.lead = Some(LeadTarget::Department {
                code: format!("HEAT-{}", rng.below(9)),
            });
            action.deadline_class = Some(DeadlineClass::Livelihood);
        }
        // continue rules: escalate and add co-handlers
        _ => {
            band = 0;
            continue_matching = true;
            if rng.chance(60) {
                c.keywords_any = rng.words(EMERGENCY, 3);
                action.deadline_class = Some(DeadlineClass::Urgent);
                action.urgency = Some(Urgency::Urgent);
                action.co_departments = vec!["FIRE".into()];
            } else {
                c.category_prefixes = vec![category(rng, 2)];
                action.co_departments = vec![format!("DEPT-{:03}", rng.below(120))];
            }
        }
    }
    check_rule(&c, &action, continue_matching).ok()?;
    Some(Rule {
        id,
        version: 1,
        name: format!("rule {id}"),
        priority: band * 1_000_000 + rng.below(size * 10) as i32,
        enabled: rng.chance(97),
        continue_matching,
        conditions: c,
        action,
    })
}

fn rule_table(size: usize, geo: &Geography) -> Vec<Rule> {
    let mut rng = XorShift(0x5151_8890_1234_5678 ^ size as u64);
    let mut rules = Vec::with_capacity(size);
    let mut id = 1;
    while rules.len() + 1 < size {
        if let Some(rule) = random_rule(&mut rng, geo, id, size) {
            rules.push(rule);
        }
        id += 1;
    }
    // the catch-all: whatever is left goes straight to the street (or up to the district)
    rules.push(Rule {
        id,
        version: 1,
        name: "直派街乡".into(),
        priority: i32::MAX,
        enabled: true,
        continue_matching: false,
        conditions: Conditions::default(),
        action: RuleAction {
            lead: Some(LeadTarget::DivisionOffice { level: 3 }),
            ..RuleAction::default()
        },
    });
    rules
}

struct Appeal {
    category: Option<String>,
    division: String,
    appellant_kind: AppellantKind,
    kind: AppealKind,
    channel: Channel,
    urgency: Urgency,
    title: String,
    content: String,
    date: NaiveDate,
}

impl Appeal {
    fn sample(&self) -> Sample<'_> {
        Sample {
            category_code: self.category.as_deref(),
            division_code: &self.division,
            appellant_kind: self.appellant_kind,
            kind: self.kind,
            channel: self.channel,
            urgency: self.urgency,
            title: &self.title,
            content: &self.content,
            local_date: self.date,
        }
    }
}

fn appeals(geo: &Geography) -> Vec<Appeal> {
    let mut rng = XorShift(0x0123_4567_89AB_CDEF);
    let start = day(2026, 1, 1).unwrap_or_default();
    (0..APPEALS)
        .map(|_| {
            let topics = rng.words(KEYWORDS, 3);
            let estate = *rng.pick(ESTATES);
            let title = format!("{}{}问题", estate, topics.join("、"));
            let target = 300 + rng.below(501);
            let mut content = format!("您好，我是住在{estate}{}号楼的居民，", 1 + rng.below(40));
            while content.chars().count() < target {
                let fragment = match rng.below(10) {
                    0..3 => {
                        let topic = rng.pick(&topics);
                        match rng.below(4) {
                            0 => format!("最近{topic}的问题特别严重，"),
                            1 => format!("想反映一下{topic}的情况，"),
                            2 => format!("关于{topic}，想咨询一下相关政策，"),
                            _ => format!("现在{topic}，已经影响到正常生活，"),
                        }
                    }
                    3 => format!("另外小区里还有{}的情况，", rng.pick(KEYWORDS)),
                    _ => (*rng.pick(FILLER)).to_owned(),
                };
                content.push_str(&fragment);
            }
            let division = match rng.below(10) {
                0..7 => rng.pick(&geo.communities).clone(),
                7..9 => rng.pick(&geo.streets).clone(),
                _ => rng.pick(&geo.districts).clone(),
            };
            Appeal {
                category: rng.chance(95).then(|| category(&mut rng, 3)),
                division,
                appellant_kind: if rng.chance(85) {
                    AppellantKind::Citizen
                } else {
                    AppellantKind::Enterprise
                },
                kind: *rng.pick(&[
                    AppealKind::Complaint,
                    AppealKind::Complaint,
                    AppealKind::Help,
                    AppealKind::Consultation,
                    AppealKind::Report,
                    AppealKind::Suggestion,
                ]),
                channel: *rng.pick(&[
                    Channel::Hotline,
                    Channel::Hotline,
                    Channel::Hotline,
                    Channel::Web,
                    Channel::App,
                    Channel::Station,
                ]),
                urgency: if rng.chance(5) {
                    Urgency::Urgent
                } else {
                    Urgency::Normal
                },
                title,
                content,
                date: start + chrono::Days::new(rng.below(365) as u64),
            }
        })
        .collect()
}

/// The baseline: the rules as a plain list, checked one after another, cheapest conditions first.
struct Naive {
    rules: Vec<Rule>,
    /// division → (parent, level)
    divisions: HashMap<String, (Option<String>, i16)>,
    /// (division, kind) → active office
    offices: HashMap<(String, DepartmentKind), String>,
}

impl Naive {
    fn new(mut rules: Vec<Rule>, directory: &Directory) -> Naive {
        rules.sort_by_key(|r| (r.priority, r.id));
        let divisions = directory
            .divisions
            .iter()
            .map(|d| (d.code.clone(), (d.parent_code.clone(), d.level)))
            .collect();
        let mut offices: HashMap<(String, DepartmentKind), String> = HashMap::new();
        for o in directory.offices.iter().filter(|o| o.active) {
            let slot = offices
                .entry((o.division_code.clone(), o.kind))
                .or_insert_with(|| o.department_code.clone());
            if o.department_code < *slot {
                slot.clone_from(&o.department_code);
            }
        }
        Naive {
            rules,
            divisions,
            offices,
        }
    }

    fn office(&self, code: &str, level: u8) -> Option<String> {
        let mut code = code.to_owned();
        loop {
            let (parent, division_level) = self.divisions.get(&code)?;
            if *division_level <= i16::from(level) {
                let kind = match division_level {
                    3 => Some(DepartmentKind::StreetOffice),
                    2 => Some(DepartmentKind::DistrictGovernment),
                    _ => None,
                };
                if let Some(office) = kind.and_then(|k| self.offices.get(&(code.clone(), k))) {
                    return Some(office.clone());
                }
            }
            code = parent.clone()?;
        }
    }

    fn decide(&self, s: &Sample<'_>) -> Decision {
        let title = s.title.to_ascii_lowercase();
        let content = s.content.to_ascii_lowercase();
        let occurs = |k: &String| {
            let k = k.to_ascii_lowercase();
            title.contains(&k) || content.contains(&k)
        };
        let today = (s.local_date.month(), s.local_date.day());
        let mut d = Decision::default();
        for r in &self.rules {
            let c = &r.conditions;
            let in_season = match (c.season_start, c.season_end) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    let (a, b) = ((a.month(), a.day()), (b.month(), b.day()));
                    if a <= b {
                        a <= today && today <= b
                    } else {
                        today >= a || today <= b
                    }
                }
                _ => false,
            };
            let matches = r.enabled
                && (c.category_prefixes.is_empty()
                    || s.category_code.is_some_and(|code| {
                        c.category_prefixes
                            .iter()
                            .any(|p| code.starts_with(p.as_str()))
                    }))
                && (c.division_prefixes.is_empty()
                    || c.division_prefixes
                        .iter()
                        .any(|p| s.division_code.starts_with(p.as_str())))
                && (c.appellant_kinds.is_empty() || c.appellant_kinds.contains(&s.appellant_kind))
                && (c.appeal_kinds.is_empty() || c.appeal_kinds.contains(&s.kind))
                && (c.channels.is_empty() || c.channels.contains(&s.channel))
                && (c.urgencies.is_empty() || c.urgencies.contains(&s.urgency))
                && c.valid_from.is_none_or(|f| s.local_date >= f)
                && c.valid_until.is_none_or(|u| s.local_date <= u)
                && in_season
                && (c.keywords_any.is_empty() || c.keywords_any.iter().any(occurs))
                && !c.keywords_none.iter().any(occurs);
            if !matches {
                continue;
            }
            let lead = match (&r.action.lead, r.continue_matching) {
                (_, true) | (None, false) => None,
                (Some(LeadTarget::Department { code }), false) => Some(code.clone()),
                (Some(LeadTarget::DivisionOffice { level }), false) => {
                    match self.office(s.division_code, *level) {
                        Some(office) => Some(office),
                        None => continue,
                    }
                }
            };
            let co_office = r
                .action
                .co_division_office_level
                .and_then(|level| self.office(s.division_code, level));
            for code in r.action.co_departments.iter().chain(&co_office) {
                if !d.co_departments.contains(code) {
                    d.co_departments.push(code.clone());
                }
            }
            d.deadline_class = d.deadline_class.or(r.action.deadline_class);
            d.urgency = d.urgency.or(r.action.urgency);
            let rule_ref = RuleRef {
                id: r.id,
                version: r.version,
                name: r.name.clone(),
            };
            d.contributing_rules.push(rule_ref.clone());
            if !r.continue_matching {
                d.lead_department = lead;
                d.deciding_rule = Some(rule_ref);
                break;
            }
        }
        if let Some(lead) = d.lead_department.clone() {
            d.co_departments.retain(|c| *c != lead);
        }
        d
    }
}

fn routing(c: &mut Criterion) {
    let geo = geography();
    let appeals = appeals(&geo);
    let samples: Vec<Sample<'_>> = appeals.iter().map(Appeal::sample).collect();
    let chars: usize = appeals
        .iter()
        .map(|a| a.title.chars().count() + a.content.chars().count())
        .sum();
    eprintln!(
        "{} appeals, {} characters of text on average",
        samples.len(),
        chars / samples.len()
    );

    let mut tables = Vec::new();
    for size in SIZES {
        let rules = rule_table(size, &geo);
        let compiled = CompiledRules::compile(rules.clone(), &geo.directory);
        let naive = Naive::new(rules.clone(), &geo.directory);
        // The baseline must do the same work: same decisions on every appeal.
        let mut positions = Vec::new();
        let mut catch_all = 0;
        for s in &samples {
            let decision = compiled.decide(s);
            assert_eq!(
                decision,
                naive.decide(s),
                "compiled and naive disagree at {size} rules"
            );
            if let Some(rule) = &decision.deciding_rule {
                let position = naive
                    .rules
                    .iter()
                    .position(|r| r.id == rule.id)
                    .unwrap_or_default();
                positions.push(position);
                catch_all += usize::from(position + 1 == naive.rules.len());
            }
        }
        positions.sort_unstable();
        let keywords: usize = rules
            .iter()
            .map(|r| r.conditions.keywords_any.len() + r.conditions.keywords_none.len())
            .sum();
        eprintln!(
            "{size} rules ({keywords} keyword conditions): deciding rule at median position {} (mean {}), {catch_all} of {} appeals reach the catch-all",
            positions
                .get(positions.len() / 2)
                .copied()
                .unwrap_or_default(),
            positions.iter().sum::<usize>() / positions.len().max(1),
            samples.len(),
        );
        tables.push((size, rules, compiled, naive));
    }

    let mut group = c.benchmark_group("routing/decide");
    group.throughput(Throughput::Elements(1));
    for (size, _, compiled, naive) in &tables {
        group.bench_with_input(
            BenchmarkId::new("compiled", size),
            compiled,
            |b, compiled| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % samples.len();
                    black_box(compiled.decide(black_box(&samples[i])))
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("naive", size), naive, |b, naive| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % samples.len();
                black_box(naive.decide(black_box(&samples[i])))
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("routing/compile");
    group.sample_size(10);
    for (size, rules, _, _) in &tables {
        group.bench_with_input(BenchmarkId::from_parameter(size), rules, |b, rules| {
            b.iter_batched(
                || rules.clone(),
                |rules| CompiledRules::compile(rules, &geo.directory),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
