"""Reference data of the demo shipments: carriers, places, names, goods, reasons, and
the showcase parcels (fixed tracking numbers and situations the README and tests name).
The generator is `bot/store/demo.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.contract import CustomerTier

# --------------------------------------------------------------------------- reference data


@dataclass(frozen=True)
class CarrierInfo:
    code: str
    name: str
    hub_suffix: str  # 深圳 + 转运中心
    station_suffix: str  # 朝阳区望京 + 营业部


CARRIERS: dict[str, CarrierInfo] = {
    c.code: c
    for c in (
        CarrierInfo("SF", "顺丰速运", "中转场", "营业点"),
        CarrierInfo("JD", "京东物流", "分拣中心", "营业部"),
        CarrierInfo("ZTO", "中通快递", "分拨中心", "网点"),
        CarrierInfo("YTO", "圆通速递", "转运中心", "营业部"),
        CarrierInfo("YUNDA", "韵达快递", "分拨中心", "网点"),
        CarrierInfo("STO", "申通快递", "转运中心", "网点"),
        CarrierInfo("EMS", "中国邮政EMS", "邮件处理中心", "揽投部"),
        CarrierInfo("CNPOST", "中国邮政", "邮件处理中心", "揽投部"),
        CarrierInfo("DHL", "DHL国际快递", "转运中心", "服务点"),
        CarrierInfo("UPS", "UPS国际快递", "转运中心", "服务点"),
        CarrierInfo("FEDEX", "联邦快递(FedEx)", "转运中心", "服务点"),
    )
}
DOMESTIC_CARRIERS = ("SF", "JD", "ZTO", "YTO", "YUNDA", "STO", "EMS", "CNPOST")
INTERNATIONAL_CARRIERS = ("DHL", "UPS", "FEDEX", "EMS")


@dataclass(frozen=True)
class Place:
    city: str  # 北京市 / 西藏自治区阿里地区 / 德国法兰克福
    hub_city: str  # city of its sorting hub: 北京 / 拉萨 / 法兰克福
    district: str  # 朝阳区 (empty abroad)
    road: str  # 望京街
    country_code: str = "CN"

    @property
    def label(self) -> str:
        return f"{self.city}{self.district}"


CN_CITIES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "北京市": (
        ("朝阳区", ("望京街", "朝阳路", "建国路", "酒仙桥路")),
        ("海淀区", ("中关村大街", "学院路", "知春路")),
        ("东城区", ("东直门内大街", "和平里东街")),
    ),
    "上海市": (
        ("浦东新区", ("张江路", "世纪大道", "陆家嘴环路")),
        ("徐汇区", ("漕溪北路", "虹桥路")),
        ("静安区", ("南京西路", "江宁路")),
    ),
    "广州市": (("天河区", ("天河路", "体育西路", "珠江新城花城大道")), ("越秀区", ("环市东路", "东风中路"))),
    "深圳市": (
        ("南山区", ("科技园南路", "深南大道", "南海大道")),
        ("福田区", ("福华路", "深南中路")),
        ("宝安区", ("新安路", "宝民一路")),
    ),
    "杭州市": (("西湖区", ("文三路", "天目山路", "古墩路")), ("余杭区", ("文一西路", "五常大道"))),
    "成都市": (("武侯区", ("天府大道", "科华北路")), ("锦江区", ("春熙路", "东大街"))),
    "武汉市": (("洪山区", ("珞喻路", "光谷大道")), ("江汉区", ("解放大道", "建设大道"))),
    "南京市": (("鼓楼区", ("中山北路", "湖南路")), ("江宁区", ("双龙大道", "天元中路"))),
    "西安市": (("雁塔区", ("小寨东路", "科技路")), ("碑林区", ("南大街", "东关正街"))),
    "重庆市": (("渝北区", ("新南路", "金开大道")), ("渝中区", ("解放碑民族路", "中山三路"))),
    "苏州市": (("工业园区", ("星湖街", "现代大道")), ("姑苏区", ("干将东路", "人民路"))),
    "天津市": (("南开区", ("鞍山西道", "复康路")), ("和平区", ("南京路", "滨江道"))),
    "长沙市": (("岳麓区", ("麓山南路", "枫林三路")), ("芙蓉区", ("五一大道", "韶山北路"))),
    "郑州市": (("金水区", ("花园路", "经三路")), ("郑东新区", ("商务外环路", "金水东路"))),
    "青岛市": (("市南区", ("香港中路", "闽江路")), ("崂山区", ("海尔路", "松岭路"))),
    "厦门市": (("思明区", ("厦禾路", "湖滨南路")), ("湖里区", ("吕岭路", "仙岳路"))),
}
REMOTE_PLACES = (
    Place("西藏自治区阿里地区", "拉萨", "改则县", "改则镇团结路"),
    Place("新疆维吾尔自治区和田地区", "乌鲁木齐", "于田县", "团结路"),
    Place("青海省玉树藏族自治州", "西宁", "杂多县", "萨呼腾镇解放路"),
    Place("内蒙古自治区阿拉善盟", "呼和浩特", "额济纳旗", "达来呼布镇"),
)
FOREIGN_PLACES = (
    Place("美国洛杉矶", "洛杉矶", "", "Wilshire Blvd", "US"),
    Place("美国纽约", "纽约", "", "5th Avenue", "US"),
    Place("德国法兰克福", "法兰克福", "", "Kaiserstraße", "DE"),
    Place("日本东京", "东京", "", "西新宿", "JP"),
    Place("英国伦敦", "伦敦", "", "Oxford Street", "GB"),
    Place("澳大利亚悉尼", "悉尼", "", "George Street", "AU"),
    Place("韩国首尔", "首尔", "", "明洞", "KR"),
    Place("法国巴黎", "巴黎", "", "Rue de Rivoli", "FR"),
    Place("中国香港", "香港", "", "弥敦道", "HK"),
)
# Where inbound parcels enter China (and outbound ones leave it).
PORTS = (
    ("上海浦东国际机场口岸", "上海市"),
    ("北京首都国际机场口岸", "北京市"),
    ("广州白云国际机场口岸", "广州市"),
    ("深圳宝安国际机场口岸", "深圳市"),
)
DIALLING_CODES = {"US": "1", "DE": "49", "JP": "81", "GB": "44", "AU": "61", "KR": "82", "FR": "33", "HK": "852"}
FOREIGN_SENDERS = ("Amazon US", "iHerb", "Apple Store", "Zalando", "Rakuten", "ASOS", "Costco", "Chemist Warehouse")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "子涵",
    "浩然",
    "欣怡",
    "宇轩",
    "梓萱",
    "思远",
    "雨桐",
    "俊杰",
    "佳琪",
    "志强",
    "海燕",
    "文博",
    "诗琪",
    "嘉怡",
    "一鸣",
    "晨曦",
    "天佑",
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
COMPOUNDS = (
    "阳光花园",
    "锦绣家园",
    "翠湖天地",
    "万科城",
    "保利花园",
    "碧桂园",
    "龙湖春江郦城",
    "绿地世纪城",
    "华润城",
    "金地格林小镇",
    "世纪花园",
    "幸福里小区",
    "望京花园",
    "恒大名都",
    "融侨馨苑",
)
TOWERS = ("国贸", "环球金融", "科技", "财富", "中信", "招商", "时代", "创业")
MERCHANTS = (
    "小米官方旗舰店",
    "华为商城",
    "京东自营仓",
    "天猫超市",
    "李宁官方旗舰店",
    "三只松鼠旗舰店",
    "优衣库官方旗舰店",
    "网易严选",
    "良品铺子",
    "苏宁易购",
)

# (goods, service it suits, value range in CNY, weight range in kg)
DOMESTIC_GOODS = (
    ("手机", "express", (1299, 8999), (0.3, 0.8)),
    ("笔记本电脑", "express", (3999, 15999), (1.5, 3.0)),
    ("衣服", "standard", (59, 899), (0.2, 1.5)),
    ("图书", "standard", (29, 300), (0.3, 3.0)),
    ("化妆品", "standard", (99, 2500), (0.2, 1.0)),
    ("零食", "standard", (19, 199), (0.5, 4.0)),
    ("运动鞋", "standard", (199, 1599), (0.8, 1.6)),
    ("合同文件", "express", (0, 0), (0.1, 0.3)),
    ("生鲜水果", "cold_chain", (59, 399), (2.0, 8.0)),
    ("大闸蟹", "cold_chain", (199, 1288), (2.0, 5.0)),
    ("沙发", "freight", (1999, 12999), (35.0, 90.0)),
    ("冰箱", "freight", (2499, 8999), (45.0, 110.0)),
    ("蛋糕", "same_city", (168, 588), (1.0, 3.0)),
    ("鲜花", "same_city", (99, 399), (0.5, 2.0)),
)
INTERNATIONAL_GOODS = (
    ("奶粉", (380, 1600), (2.0, 6.0)),
    ("保健品", (260, 2400), (0.5, 3.0)),
    ("化妆品", (400, 3800), (0.3, 2.0)),
    ("手表", (1500, 26000), (0.2, 0.8)),
    ("相机镜头", (2600, 14000), (0.6, 2.0)),
    ("衣物", (300, 2600), (0.5, 3.0)),
    ("名牌手袋", (5000, 32000), (0.6, 2.0)),
)

LOCKER_BRANDS = ("丰巢快递柜", "京东快递柜", "中国邮政易邮柜")
STATION_BRANDS = ("菜鸟驿站", "兔喜生活", "妈妈驿站")
SIGNERS = ("本人", "家人代收", "快递柜", "驿站代收点", "前台", "门卫")

DELAY_REASONS = (
    "当地暴雨导致道路中断",
    "中转场爆仓，快件积压",
    "航班延误",
    "台风过境，快件暂缓发运",
    "大雪封路，干线车辆无法通行",
    "双十一期间快件量激增，派送延迟",
    "干线运输车辆故障",
    "交通管制，车辆绕行",
)
REASONS: dict[str, tuple[str, ...]] = {
    "lost": ("快件在中转过程中遗失，已启动查找", "超过72小时无物流更新，疑似遗失，正在核查"),
    "damaged": ("外包装严重破损，内件受损，已拍照留存", "运输途中挤压导致商品损坏", "液体泄漏污染内件，已拍照留存"),
    "misdelivered": ("快递员误投至同小区其他楼栋，正在追回", "快件被错误投递至其他快递柜，正在追回"),
    "refused": ("收件人拒收（商品与描述不符）", "收件人拒付到付运费，拒收"),
    "address_problem": (
        "收件地址不详（缺少门牌号），无法派送",
        "收件人电话空号，地址无法核实",
        "地址与收件人信息不符，无法派送",
    ),
    "out_of_area": ("收件地址超出派送范围（偏远地区），需自提或转寄邮政EMS", "目的地为偏远乡镇，本网点无法派送"),
    "held_at_station": (
        "多次派送无人签收，快件已滞留网点，请联系网点取件或预约派送",
        "收件人要求暂存网点，待收件人自取",
    ),
    "customs_hold": (
        "海关查验：需补充商业发票及购物小票/支付凭证",
        "申报信息与实际货物不符，需补充说明",
        "个人物品超出自用合理数量，需提供说明",
    ),
}
CUSTOMS_DOCUMENT_SETS = (
    ("身份证正反面",),
    ("身份证正反面", "购物小票/支付凭证"),
    ("商业发票", "装箱单"),
    ("身份证正反面", "商业发票", "购物小票/支付凭证"),
    ("个人物品申报单", "身份证正反面"),
)
FAILED_DELIVERY_REASONS = ("收件人电话无人接听", "收件人不在家", "收件人要求改日派送")
FLIGHTS = ("CA984", "MU588", "CZ328", "CX250", "LH728", "NH921", "KE893", "FX5283", "5X62")


# --------------------------------------------------------------------------- showcase


@dataclass(frozen=True)
class Spec:
    """What a demo parcel should be; unset fields are drawn at random."""

    carrier: str
    status: str
    direction: str = "domestic"  # domestic | inbound | outbound
    service: str | None = None
    tracking_number: str | None = None
    exception: str | None = None
    reason: str | None = None
    customs: str | None = None
    signed_by: str | None = None
    delivery_location: str | None = None
    pickup_code: str | None = None
    origin: Place | None = None
    destination: Place | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    declared_value: float | None = None
    goods: str | None = None
    customer_tier: str | None = None
    duty_amount: float | None = None
    documents: tuple[str, ...] | None = None
    last_scan_hours: float | None = None  # age of the latest scan
    new_eta_hours: float | None = None  # delay: new ETA from now
    demonstrates: str = ""


def cn(city: str, district: str, road: str) -> Place:
    return Place(city, city.rstrip("市"), district, road)


SHOWCASE_SPECS: tuple[Spec, ...] = (
    Spec(
        "SF",
        "in_transit",
        service="express",
        tracking_number="SF1402345678901",
        exception="delay",
        reason="当地暴雨导致道路中断",
        origin=cn("深圳市", "南山区", "科技园南路"),
        destination=cn("北京市", "朝阳区", "望京街"),
        recipient_name="王芳",
        recipient_phone="13911112222",
        goods="手机",
        declared_value=5999.0,
        customer_tier=CustomerTier.VIP.value,
        last_scan_hours=5,
        new_eta_hours=48,
        demonstrates="In transit and delayed by heavy rain (VIP customer): delay reason and new ETA",
    ),
    Spec(
        "YTO",
        "delivered",
        service="standard",
        tracking_number="YT2290112345678",
        signed_by="快递柜",
        delivery_location="丰巢快递柜(朝阳路店)",
        pickup_code="352817",
        origin=cn("杭州市", "余杭区", "文一西路"),
        destination=cn("北京市", "朝阳区", "朝阳路"),
        recipient_name="李娜",
        recipient_phone="13812345678",
        goods="衣服",
        declared_value=399.0,
        last_scan_hours=3,
        demonstrates="Delivered to a parcel locker: pickup code 352817, given only after the recipient "
        "phone (13812345678, ends 5678) is verified",
    ),
    Spec(
        "YUNDA",
        "exception",
        service="standard",
        tracking_number="4312345678901",
        exception="lost",
        reason="超过72小时无物流更新，疑似在中转途中遗失，已启动查找",
        origin=cn("广州市", "越秀区", "环市东路"),
        destination=cn("西安市", "雁塔区", "小寨东路"),
        recipient_name="赵强",
        recipient_phone="13700001111",
        goods="运动鞋",
        declared_value=899.0,
        last_scan_hours=120,
        demonstrates="Lost parcel (no scan for 5 days): loss claim below the hand-off value",
    ),
    Spec(
        "JD",
        "exception",
        service="express",
        tracking_number="JDVA01234567890",
        exception="damaged",
        reason="外包装严重破损，内件受损，已拍照留存",
        origin=cn("上海市", "浦东新区", "张江路"),
        destination=cn("南京市", "鼓楼区", "中山北路"),
        recipient_name="陈静",
        recipient_phone="15000002222",
        goods="笔记本电脑",
        declared_value=3500.0,
        last_scan_hours=20,
        demonstrates="Damaged parcel with declared value 3500 CNY: above the 2000 claim threshold, handed to a human",
    ),
    Spec(
        "STO",
        "exception",
        service="standard",
        tracking_number="773123456789012",
        exception="out_of_area",
        reason="收件地址超出派送范围（偏远地区），需自提或转寄邮政EMS",
        origin=cn("成都市", "武侯区", "天府大道"),
        destination=REMOTE_PLACES[0],
        recipient_name="扎西",
        recipient_phone="18900003333",
        goods="图书",
        declared_value=120.0,
        last_scan_hours=10,
        demonstrates="Outside the delivery area (remote county): self pickup or transfer to EMS",
    ),
    Spec(
        "ZTO",
        "delivery_failed",
        service="standard",
        tracking_number="751234567890",
        exception="held_at_station",
        reason="多次派送无人签收，快件已滞留【西湖区文三网点】",
        origin=cn("苏州市", "姑苏区", "人民路"),
        destination=cn("杭州市", "西湖区", "文三路"),
        recipient_name="周杰",
        recipient_phone="13600004444",
        goods="化妆品",
        declared_value=680.0,
        last_scan_hours=8,
        demonstrates="Held at the local station after failed attempts: redelivery or self pickup",
    ),
    Spec(
        "CNPOST",
        "delivery_failed",
        service="standard",
        tracking_number="9812345678901",
        exception="address_problem",
        reason="收件地址不详（缺少门牌号），无法派送",
        origin=cn("郑州市", "金水区", "花园路"),
        destination=cn("长沙市", "岳麓区", "麓山南路"),
        recipient_name="吴敏",
        recipient_phone="15800005555",
        goods="图书",
        declared_value=86.0,
        last_scan_hours=6,
        demonstrates="Address problem: the customer can correct the address",
    ),
    Spec(
        "DHL",
        "customs_hold",
        direction="inbound",
        service="international",
        tracking_number="4019283741",
        exception="customs_hold",
        reason="需缴纳进口税款 286.50 元，缴税后安排清关放行",
        customs="duty_unpaid",
        duty_amount=286.5,
        documents=("身份证正反面", "购物小票/支付凭证"),
        origin=FOREIGN_PLACES[2],
        destination=cn("上海市", "徐汇区", "漕溪北路"),
        recipient_name="孙丽",
        recipient_phone="13500006666",
        goods="奶粉",
        declared_value=1680.0,
        last_scan_hours=30,
        demonstrates="Cross-border DHL parcel held in customs: import duty 286.50 CNY unpaid, documents needed",
    ),
    Spec(
        "UPS",
        "out_for_delivery",
        direction="inbound",
        service="international",
        tracking_number="1Z999AA10123456784",
        customs="cleared",
        duty_amount=0.0,
        origin=FOREIGN_PLACES[0],
        destination=cn("深圳市", "南山区", "深南大道"),
        recipient_name="林晓东",
        recipient_phone="18600007777",
        goods="相机镜头",
        declared_value=4200.0,
        customer_tier=CustomerTier.ENTERPRISE.value,
        last_scan_hours=1.5,
        demonstrates="UPS 1Z parcel from the US out for delivery today (customs cleared)",
    ),
    Spec(
        "EMS",
        "in_transit",
        direction="outbound",
        service="international",
        tracking_number="EA123456789CN",
        customs="cleared",
        origin=cn("上海市", "静安区", "南京西路"),
        destination=FOREIGN_PLACES[3],
        recipient_name="刘洋",
        recipient_phone="13300008888",
        goods="茶叶",
        declared_value=560.0,
        last_scan_hours=9,
        demonstrates="International EMS (UPU S10) to Japan: export customs cleared, on its flight to Tokyo",
    ),
    Spec(
        "SF",
        "returning",
        service="standard",
        tracking_number="SF1409876543210",
        exception="refused",
        reason="收件人拒收（商品与描述不符）",
        origin=cn("广州市", "天河区", "天河路"),
        destination=cn("重庆市", "渝北区", "金开大道"),
        recipient_name="黄磊",
        recipient_phone="13900009999",
        goods="化妆品",
        declared_value=458.0,
        last_scan_hours=12,
        demonstrates="Refused by the recipient and on its way back to the sender",
    ),
    Spec(
        "JD",
        "delivered",
        service="express",
        tracking_number="JD0012345678901",
        signed_by="家人代收",
        origin=cn("北京市", "海淀区", "中关村大街"),
        destination=cn("天津市", "南开区", "鞍山西道"),
        recipient_name="张伟",
        recipient_phone="13698765432",
        goods="零食",
        declared_value=158.0,
        last_scan_hours=26,
        demonstrates="Delivered to a family member (家人代收): 'I did not get it' should check at home first",
    ),
    Spec(
        "YTO",
        "delivered",
        service="standard",
        tracking_number="YT9876543210123",
        exception="misdelivered",
        reason="快递员误投至同小区3栋门卫室，正在追回",
        signed_by="门卫",
        delivery_location="阳光花园3栋门卫室",
        origin=cn("厦门市", "思明区", "厦禾路"),
        destination=cn("青岛市", "市南区", "香港中路"),
        recipient_name="郑霞",
        recipient_phone="15900001234",
        goods="运动鞋",
        declared_value=699.0,
        last_scan_hours=30,
        demonstrates="Shown as delivered but misdelivered to the wrong building",
    ),
)

SHOWCASE: list[dict[str, Any]] = [
    {
        "tracking_number": spec.tracking_number,
        "carrier": spec.carrier,
        "status": spec.status,
        "exception": spec.exception,
        "customs": spec.customs,
        "recipient_phone": spec.recipient_phone,
        "pickup_code": spec.pickup_code,
        "declared_value": spec.declared_value,
        "demonstrates": spec.demonstrates,
    }
    for spec in SHOWCASE_SPECS
]

# After the showcase: a plan that makes even a small demo set cover every carrier,
# service, status, exception type and customs status.
COVERAGE_SPECS: tuple[Spec, ...] = (
    Spec("ZTO", "created"),
    Spec("STO", "picked_up"),
    Spec("YUNDA", "arrived_at_hub"),
    Spec("CNPOST", "cancelled"),
    Spec("JD", "returned", service="freight"),
    Spec("SF", "delivered", service="same_city", signed_by="本人"),
    Spec("SF", "out_for_delivery", service="cold_chain"),
    Spec("FEDEX", "customs_clearance", direction="inbound", customs="in_progress"),
    Spec("UPS", "in_transit", direction="inbound", customs="not_started"),
    Spec("EMS", "customs_hold", direction="inbound", exception="customs_hold", customs="held"),
    Spec("DHL", "delivered", direction="inbound", customs="cleared", signed_by="前台"),
    Spec("FEDEX", "delivered", direction="inbound", customs="cleared", signed_by="驿站代收点"),
    Spec("YTO", "delivered", exception="damaged"),
    Spec("JD", "delivery_failed", exception="held_at_station"),
    Spec("STO", "exception", exception="lost"),
    Spec("YUNDA", "delivery_failed", exception="address_problem"),
    Spec("ZTO", "exception", exception="out_of_area"),
    Spec("SF", "returning", exception="refused"),
    Spec("CNPOST", "delivered", exception="misdelivered"),
    Spec("YTO", "arrived_at_hub", exception="delay"),
)

STATUS_WEIGHTS_DOMESTIC = (
    ("created", 4),
    ("picked_up", 5),
    ("in_transit", 22),
    ("arrived_at_hub", 8),
    ("out_for_delivery", 10),
    ("delivered", 30),
    ("delivery_failed", 4),
    ("exception", 5),
    ("returning", 3),
    ("returned", 2),
    ("cancelled", 2),
)
STATUS_WEIGHTS_INBOUND = (
    ("created", 3),
    ("picked_up", 4),
    ("in_transit", 18),
    ("arrived_at_hub", 6),
    ("customs_clearance", 12),
    ("customs_hold", 8),
    ("out_for_delivery", 8),
    ("delivered", 30),
    ("delivery_failed", 3),
    ("exception", 3),
    ("returning", 2),
    ("cancelled", 1),
)
CARRIER_WEIGHTS = (
    ("SF", 16),
    ("JD", 14),
    ("ZTO", 14),
    ("YTO", 12),
    ("YUNDA", 10),
    ("STO", 8),
    ("EMS", 6),
    ("CNPOST", 5),
    ("DHL", 5),
    ("UPS", 4),
    ("FEDEX", 4),
)
