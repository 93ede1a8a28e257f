#!/usr/bin/env python3
"""Writes a CSV shaped like a 12345 / 8890 hotline export (工单导出), for `minxin import`.

    scripts/gen-export.py ROWS [--bad FRACTION] [--seed N] > export.csv

The rows use the demo reference data that `minxin seed` loads (Anshan's districts, streets,
departments and category tree), referring to them by name and by path the way exports do.
Most rows are closed with a reply and a follow-up answer; some are closed unrated, some still
with the department, some replied and awaiting the follow-up, some not yet dispatched.
With --bad, that fraction of rows carries one mistake each (an unknown category, a satisfaction
outside the scale, a time that is not one, a closure before the call, ...), so the import's
error report can be exercised. The same rows for a given --seed, dated back from now.
"""

import argparse
import csv
import datetime as dt
import random
import sys

HEADERS = ["工单编号", "诉求类型", "标题", "诉求内容", "诉求分类", "区县", "街道", "来电时间",
           "承办单位", "办理结果", "是否解决", "满意度", "办结时间", "来电人", "联系电话"]

# (district, [streets]) as in src/seed.rs
DIVISIONS = [
    ("铁东区", ["解放街道", "山南街道", "站前街道", "胜利街道", "长甸街道", "园林街道", "旧堡街道"]),
    ("铁西区", ["八家子街道", "繁荣街道", "永乐街道", "宁德街道", "大陆街道", "兴盛街道"]),
    ("立山区", ["友好街道", "灵山街道", "深沟寺街道", "曙光街道", "双山街道"]),
    ("千山区", ["千山镇", "唐家房镇", "大屯镇", "宁远镇", "东鞍山镇"]),
    ("台安县", ["八角台街道", "新开河镇", "桑林镇", "达牛镇"]),
    ("岫岩满族自治县", ["雅河街道", "兴隆街道", "阜昌街道", "偏岭镇", "前营镇"]),
    ("海城市", ["海州管理区", "兴海管理区", "响堂管理区", "牛庄镇", "腾鳌镇", "西柳镇"]),
]
STREET_OFFICES = {
    "千山镇": "千山镇人民政府", "唐家房镇": "唐家房镇人民政府", "大屯镇": "大屯镇人民政府",
    "宁远镇": "宁远镇人民政府", "东鞍山镇": "东鞍山镇人民政府", "新开河镇": "新开河镇人民政府",
    "桑林镇": "桑林镇人民政府", "达牛镇": "达牛镇人民政府", "偏岭镇": "偏岭镇人民政府",
    "前营镇": "前营镇人民政府", "海州管理区": "海州管理区管理委员会",
    "兴海管理区": "兴海管理区管理委员会", "响堂管理区": "响堂管理区管理委员会",
    "牛庄镇": "牛庄镇人民政府", "腾鳌镇": "腾鳌镇人民政府", "西柳镇": "西柳镇人民政府",
}
# (category path, department name or None for the street office, weight)
CATEGORIES = [
    ("城乡建设/物业管理/物业服务", None, 9), ("物业收费", None, 5), ("电梯故障", None, 3),
    ("城乡建设/房屋与住房保障/老旧小区改造", "鞍山市住房和城乡建设局", 3),
    ("城市管理/市容环境/垃圾清运", "铁东区城市管理局", 4), ("占道经营", "铁东区城市管理局", 4),
    ("城市管理/市政设施/道路破损", "鞍山市城市管理综合行政执法局", 4),
    ("路灯不亮", "鞍山市城市管理综合行政执法局", 3),
    ("公用事业/供热/室温不达标", "鞍山市热力集团", 10), ("供热/供热收费", "鞍山市热力集团", 3),
    ("公用事业/供水/停水", "鞍山市自来水总公司", 4), ("水压低", "鞍山市自来水总公司", 2),
    ("燃气停气", "鞍山市燃气集团", 2), ("公用事业/供电/停电", "国网鞍山供电公司", 3),
    ("市场监管/食品药品/食品安全", "鞍山市市场监督管理局", 3),
    ("预付卡退费", "鞍山市市场监督管理局", 3),
    ("劳动保障/劳动关系/拖欠工资", "鞍山市人力资源和社会保障局", 4),
    ("养老金待遇", "鞍山市人力资源和社会保障局", 2),
    ("生态环境/噪声污染/噪音扰民", "鞍山市生态环境局", 3), ("油烟污染", "鞍山市生态环境局", 2),
    ("公交线路", "鞍山市公共交通集团", 2), ("出租车拒载", "鞍山市交通运输局", 1),
    ("入学招生", "鞍山市教育局", 2), ("医保报销", "鞍山市医疗保障局", 2),
    ("乱停乱放", "鞍山市公安局", 2), ("低保申请", None, 2),
]
KINDS = [("投诉", 36), ("求助", 24), ("咨询", 25), ("举报", 7), ("建议", 8)]
SATISFACTION = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "秀英", "建华"]
MISTAKES = [
    (4, "不存在的分类"), (11, "还行吧"), (7, "去年冬天"), (1, "表扬"), (6, "不存在街道"),
    (8, "不存在的单位"), (12, "1999-01-01 00:00:00"), (14, "12345"), (3, ""),
]


def weighted(rng, items):
    total = sum(w for *_, w in items)
    x = rng.random() * total
    for item in items:
        x -= item[-1]
        if x < 0:
            return item
    return items[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int)
    ap.add_argument("--bad", type=float, default=0.0, help="fraction of rows with a mistake")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--prefix", default="GD", help="prefix of the export's numbers")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    # local time in Anshan (UTC+8), as the export writes it
    now = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).replace(microsecond=0, tzinfo=None)
    start = now - dt.timedelta(days=365)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(HEADERS)
    for i in range(args.rows):
        received = start + dt.timedelta(seconds=int(365 * 86400 * i / max(args.rows, 1))
                                        + rng.randrange(0, 600))
        district, streets = rng.choice(DIVISIONS)
        street = rng.choice(streets)
        path, department, _ = weighted(rng, CATEGORIES)
        department = department or STREET_OFFICES.get(street, street + "办事处")
        leaf = path.split("/")[-1]
        kind = weighted(rng, KINDS)[0]
        estate = rng.choice(["和平", "幸福", "光明", "新华", "阳光", "翠湖"])
        content = f"来电人反映{street}{estate}小区{rng.randrange(1, 40)}号楼{leaf}问题，请尽快处理。"
        age = (now - received).days
        state = rng.random()
        reply = solved = satisfaction = closed = ""
        if age < 2 and state < 0.3:
            department = ""  # not yet dispatched
        elif age < 10 and state < 0.5:
            pass  # with the department
        else:
            closed_at = received + dt.timedelta(hours=2 + rng.random() * 150)
            if closed_at < now:
                reply = f"经核实，已安排人员处理{leaf}问题，并与来电人沟通。"
                closed = closed_at.strftime("%Y-%m-%d %H:%M:%S")
                if rng.random() < 0.88:
                    ok = rng.random() < 0.82
                    solved = "是" if ok else "否"
                    satisfaction = rng.choices(SATISFACTION, [45, 38, 12, 4, 1] if ok
                                               else [3, 9, 28, 42, 18])[0]
        row = [
            f"{args.prefix}{received:%Y%m%d}{i:07d}", kind, f"{estate}小区{leaf}", content, path,
            district, street, received.strftime("%Y-%m-%d %H:%M:%S"), department, reply, solved,
            satisfaction, closed, rng.choice(SURNAMES) + rng.choice(GIVEN),
            f"1{rng.choice('3589')}{rng.randrange(0, 10**9):09d}",
        ]
        if args.bad and rng.random() < args.bad:
            column, value = rng.choice(MISTAKES)
            if column == 11 and not row[11]:
                column, value = 4, "不存在的分类"
            row[column] = value
        out.writerow(row)


if __name__ == "__main__":
    main()
