"""Fixed reference data of the demo company: products, cities, teams.

The demo company sells home appliances and smart devices online and in stores across China.
Product names carry a brand and model so complaint texts can mention them in many ways.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    product_id: str
    name_zh: str
    name_en: str
    product_line: str
    category: str
    base_price: float
    popularity: float  # relative order share
    defect_rate: float  # relative propensity to quality tickets


# product_line -> (zh noun, en noun, product category)
PRODUCT_LINES: dict[str, tuple[str, str, str]] = {
    "air_conditioner": ("空调", "air conditioner", "major_appliance"),
    "refrigerator": ("冰箱", "refrigerator", "major_appliance"),
    "washing_machine": ("洗衣机", "washing machine", "major_appliance"),
    "water_heater": ("热水器", "water heater", "major_appliance"),
    "television": ("电视", "TV", "electronics"),
    "robot_vacuum": ("扫地机器人", "robot vacuum", "small_appliance"),
    "range_hood": ("油烟机", "range hood", "kitchen_appliance"),
}

_BRANDS = (("云睿", "Yunrui"), ("澜风", "Lanfeng"), ("星晖", "Xinghui"))

# (product_line, model, zh descriptor, en descriptor, price, popularity, defect_rate)
_MODELS = (
    ("air_conditioner", "KF-35", "变频挂机", "inverter split", 3299, 1.4, 1.0),
    ("air_conditioner", "KF-72", "立式柜机", "floor-standing", 6999, 0.7, 1.1),
    ("air_conditioner", "Q5", "新风空调", "fresh-air", 4599, 0.6, 1.2),
    ("refrigerator", "BCD-520", "十字门", "French-door", 5499, 0.9, 0.8),
    ("refrigerator", "BCD-330", "三门", "three-door", 2899, 1.1, 0.7),
    ("refrigerator", "R9", "嵌入式", "built-in", 8999, 0.3, 0.9),
    ("washing_machine", "XQG-100", "滚筒", "front-load", 2999, 1.3, 1.0),
    ("washing_machine", "XQB-80", "波轮", "top-load", 1299, 1.0, 0.9),
    ("washing_machine", "WD12", "洗烘一体", "washer-dryer", 4999, 0.6, 1.3),
    ("water_heater", "JSQ-16", "燃气", "gas", 2399, 0.8, 1.0),
    ("water_heater", "F60", "电热水器60升", "60L electric", 1599, 1.0, 0.9),
    ("water_heater", "S80", "速热储水式", "fast-heating tank", 2199, 0.6, 1.0),
    ("television", "65U8", "65英寸", "65-inch", 4999, 0.9, 0.8),
    ("television", "55E3", "55英寸", "55-inch", 2799, 1.2, 0.8),
    ("television", "85X9", "85英寸巨幕", "85-inch", 11999, 0.2, 1.0),
    ("robot_vacuum", "T10", "扫拖一体", "vacuum-mop", 2999, 1.0, 1.4),
    ("robot_vacuum", "T7 Lite", "入门款", "entry", 1499, 0.9, 1.3),
    ("range_hood", "CXW-260", "侧吸式", "side-draft", 2599, 0.7, 0.9),
    ("range_hood", "CXW-200", "顶吸式", "top-draft", 1799, 0.5, 0.9),
    ("range_hood", "J6", "集成灶", "integrated stove", 7999, 0.3, 1.1),
)


def _build_products() -> tuple[Product, ...]:
    products = []
    for i, (line, model, zh_desc, en_desc, price, pop, defect) in enumerate(_MODELS):
        brand_zh, brand_en = _BRANDS[i % len(_BRANDS)]
        noun_zh, noun_en, category = PRODUCT_LINES[line]
        products.append(
            Product(
                product_id=f"P{i + 1:03d}",
                name_zh=f"{brand_zh}{model}{zh_desc}{noun_zh}",
                name_en=f"{brand_en} {model} {en_desc} {noun_en}",
                product_line=line,
                category=category,
                base_price=float(price),
                popularity=pop,
                defect_rate=defect,
            )
        )
    return tuple(products)


PRODUCTS = _build_products()

# region -> (share of customers, cities)
REGION_CITIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "east": (0.30, ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州")),
    "north": (0.16, ("北京", "天津", "石家庄", "太原", "呼和浩特")),
    "south": (0.19, ("广州", "深圳", "东莞", "佛山", "南宁", "海口", "厦门")),
    "central": (0.12, ("武汉", "长沙", "郑州", "南昌")),
    "southwest": (0.11, ("成都", "重庆", "昆明", "贵阳")),
    "northwest": (0.05, ("西安", "兰州", "乌鲁木齐", "银川")),
    "northeast": (0.07, ("沈阳", "大连", "长春", "哈尔滨")),
}

# Each region runs two teams; team codes are "<region>_<letter>".
TEAM_LETTERS = ("a", "b")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏斌宇浩凯晨旭婷雪琳颖倩"
    "楠欣怡佳悦然蕾晶"
)
