# ruff: noqa: E501  -- phrase bank: one sentence per line; ruff counts CJK as width 2.
"""Bilingual text bank and vectorised composer for demo tickets and survey comments.

Similar-case search is evaluated on these texts (relevant = same root cause), so each root
cause has many phrasings written like real customers write: colloquial, run-on, with typos,
emoji and mixed English. Root causes of one category differ by meaning, not by a fixed keyword,
and several share vocabulary (漏水, 离线, 退款...) on purpose.

Templates use these slots (all optional): {p} product mention, {s} product-line symptom,
{c} product-line component, {i} product-line installation fault, {d} duration, {t} date phrase, {o} order number, {a} amount
(about the product price), {f} small fee/compensation, {n} small count.

Speed: all random choices are drawn as numpy arrays up front (one ``rng.random`` block);
strings are then built with ``str.format`` in list comprehensions. Only the ``rng`` passed in
is used, so output is deterministic for a seed.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tools.demo_data.catalog import PRODUCT_LINES, PRODUCTS
from tools.warehouse import codes

__all__ = [
    "DESCRIPTION_TEMPLATES",
    "PII_RATE",
    "RESOLUTION_TEMPLATES",
    "ROOT_CAUSES",
    "ROOT_CAUSES_BY_CATEGORY",
    "SUBJECT_TEMPLATES",
    "SURVEY_COMMENTS",
    "RootCause",
    "compose_survey_comments",
    "compose_ticket_texts",
]

PII_RATE = 0.08  # share of descriptions carrying fake PII (the masker must catch it)
_NO_PUNCT_RATE = 0.08  # share of zh descriptions typed without punctuation


@dataclass(frozen=True)
class RootCause:
    code: str  # ASCII snake_case, stable
    category: str  # one of codes.CATEGORIES
    label_zh: str
    label_en: str
    weight: float  # base frequency within its category


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


# fmt: off
# code -> (category, label_zh, label_en, weight, {bank: templates})
_BANK: dict[str, tuple[str, str, str, float, dict[str, str]]] = {
    # ------------------------------------------------------------------ quality
    "batch_defect": ("quality", "批次质量缺陷", "Production batch defect", 0.2, {
        "subject_zh": """
            {p}{s}，疑似批次问题
            同一批的{p}都{s}？
            {p}才买{d}就{s}
            质量问题：{p}{s}，邻居家也一样
            {p}出厂质量有问题，网上好多人反映
        """,
        "desc_zh": """
            买了不到{d}{p}就{s}了，上网一查好多人都是一样的问题，是不是这一批货都有问题
            {p}{s}，售后师傅上门说最近修了好多台同型号的，都是一个毛病，那为什么还要卖给消费者
            我和邻居同一时间在你们店买的{p}，两家都{s}，生产日期都是同一批的，这明显不是个例
            {t}装的{p}，用了{d}就{s}，师傅说是这批{c}的通病，家里有老人小孩这样太危险了
            {p}出厂就有问题吧？？{s}，业主群里买同款的好几家都反映了，你们是不是该召回了
            订单{o}的{p}才用{d}又{s}了，之前已经修过一次，师傅说这个批号的都有这毛病换了{c}也没用
            网上好几篇帖子都说{p}这批有质量问题 我家的也中招了 {s} 真的太失望了
            {p}{s}，看了下机身上的生产日期跟网上曝光的那批一模一样，你们质检是干什么吃的
        """,
        "subject_en": """
            {p} {s} - same as my neighbours
            Batch defect? {p} failing after {d}
            {p} defective from the factory
        """,
        "desc_en": """
            Bought the {p} less than {d} ago and it already {s}. Two neighbours who bought the same model that week have the exact same problem, so this must be a bad production batch
            The technician told me many {p} units from this batch come back with the same fault: the {c} fails and it {s}. Why are you still selling them, you should recall them
            My {p} {s}. Online forums are full of people with the same serial range reporting this, it is clearly a manufacturing defect and not something I did
            Second failure since {t}: the {p} {s} again. Your engineer admitted the whole lot has a bad {c} and replacing it again will not help
        """,
        "res_zh": """
            经检测为同批次{c}缺陷，已免费上门更换{c}并补偿{f}元优惠券
            已登记批次质量问题并上报质量部，按召回政策为客户整机换新，旧机上门回收
            确认属于该批次通病，更换{c}后试机正常，另延保一年
            批次缺陷已确认，客户要求退货，已办理全额退款{a}元
        """,
        "res_en": """
            Confirmed batch defect in the {c}; replaced the {c} free of charge and issued a {f} RMB voucher
            Logged as a known batch issue and escalated to QA; unit swapped for a new one under the recall program
            Batch defect confirmed; full refund of {a} RMB processed at the customer's request
        """,
    }),
    "defective_component": ("quality", "零部件故障", "Defective component", 0.4, {
        "subject_zh": """
            {p}{s}
            {p}{c}坏了
            新买的{p}{s}，要求维修
            {p}用了{d}就坏了
        """,
        "desc_zh": """
            {p}用了{d}就{s}，师傅上门检测说是{c}坏了，要换配件，这么新的机器怎么会这样
            {t}买的{p}，今天突然{s}，断电重启也没用，估计里面哪个零件坏了
            家里{p}{s}，售后看了说{c}有问题需要换，等配件要{d}，这期间我怎么用
            新机器才用了{d}，{c}就坏了，{p}直接{s}，什么都干不了，质量也太差了吧
            {p} {s}了 前几天还好好的 没摔没碰 师傅说{c}故障 这个算质量问题吧
            订单号{o}，{p}{s}，客服让我拍视频发过去，视频已经发了，麻烦看一下是不是{c}的问题
            我家{p}昨天晚上开始{s}，检查了电源插座都没问题，应该是机器本身的{c}坏了
        """,
        "subject_en": """
            {p} {s}
            Faulty {c} on my {p}
            {p} broke down after {d}
        """,
        "desc_en": """
            My {p} {s} after only {d}. The technician said the {c} is broken and needs replacing, how can a new appliance fail like this
            The {p} suddenly {s} this morning. Already tried unplugging and restarting, nothing works, looks like a part inside has failed
            Order {o}: the {p} {s}. Your engineer diagnosed a faulty {c} but says the spare part takes {d} to arrive
        """,
        "res_zh": """
            上门检测确认{c}故障，已免费更换{c}，试机正常
            保内维修，更换{c}后{p}运行正常，已告知客户使用注意事项
            配件到货后上门更换{c}，并赠送{f}元优惠券作为等待补偿
        """,
        "res_en": """
            On-site check confirmed a faulty {c}; replaced it under warranty and tested OK
            Replaced the {c} once the part arrived; unit working normally and a {f} RMB voucher given for the wait
        """,
    }),
    "firmware_bug": ("quality", "固件/软件缺陷", "Firmware bug", 0.2, {
        "subject_zh": """
            {p}升级后出问题
            {p}系统更新后老死机
            {p}固件bug
            {p}自己重启
        """,
        "desc_zh": """
            {p}昨天自动升级了固件，之后就经常死机，按键也没反应，要拔电才能恢复，这是软件bug吧
            系统更新以后{p}定时功能失效了，设好的预约根本不启动，升级前一直好好的
            {p}的屏幕显示乱码，一会儿又自动重启，客服说是程序问题要等下一个版本，要等多久
            {t}推送了新版本，升级完{p}就连不上wifi，app里显示离线，重新配网{n}次都不行
            {p}升级失败了 现在开机就卡在logo界面 什么都操作不了 急死了
            升级之后{p}显示的数值和实际差很多，设置的参数也老是被重置，感觉是固件有bug
        """,
        "subject_en": """
            {p} broken after firmware update
            Software bug on {p}
        """,
        "desc_en": """
            After the automatic firmware update on {t} the {p} keeps freezing and the buttons stop responding until I unplug it
            Since the latest software update the timer on my {p} no longer works, scheduled programs never start. It was fine before the update
            The {p} got stuck on the boot screen after a failed firmware upgrade and now nothing responds at all, please help
        """,
        "res_zh": """
            确认为固件版本缺陷，已远程推送修复版本，客户确认{p}恢复正常
            指导客户手动回退固件并恢复出厂设置，问题解决，已反馈研发在下版本修复
            远程升级失败，安排师傅上门刷机，{p}恢复正常
        """,
        "res_en": """
            Known firmware bug; pushed the fixed version remotely and the customer confirmed the {p} works again
            Guided the customer through a firmware rollback and factory reset; bug reported to R&D
        """,
    }),
    "abnormal_noise": ("quality", "异响/噪音", "Abnormal noise", 0.2, {
        "subject_zh": """
            {p}噪音太大
            {p}有异响
            {p}运行时咔咔响
            {p}声音大得吓人
        """,
        "desc_zh": """
            {p}一开机就嗡嗡响，晚上吵得根本睡不着，买之前说是静音款，这也叫静音
            用了{d}{p}开始有异响，咔咔咔的像什么东西卡住了，而且越来越响，晚上特别明显
            {p}运行的时候机身震动特别厉害，声音大到隔壁房间都能听到，这正常吗
            新装的{p}运行时有很尖的啸叫声，时有时无的，家里人都受不了了，是不是哪里有问题
            {p}工作时有金属摩擦的声音，吱吱的，师傅来看了说正常，我觉得明显不正常
            {t}开始{p}启动和停机的时候会砰的响一声 吓人一跳 会不会有安全隐患
        """,
        "subject_en": """
            Loud noise from {p}
            {p} rattling and vibrating
        """,
        "desc_en": """
            The {p} makes a loud humming noise whenever it runs and we cannot sleep at night. It was advertised as a quiet model
            After {d} the {p} started making a grinding, clicking noise as if something is stuck inside, and it is getting louder
            Strong vibration and a high-pitched whine from the {p}, you can hear it from the next room. Is that really normal
        """,
        "res_zh": """
            上门检查发现{c}松动导致异响，已紧固并加装减震垫，噪音明显降低
            经检测异响来自{c}，已更换{c}，试机无异常声音
            现场测量噪音在标准范围内，向客户解释并调整了机器摆放位置
        """,
        "res_en": """
            Found a loose {c} causing the noise; tightened it and added dampers, noise much lower
            Noise traced to the {c}; replaced it and the test run was quiet
        """,
    }),
    # ---------------------------------------------------------------- logistics
    "carrier_delay": ("logistics", "承运商配送延误", "Carrier delay", 0.45, {
        "subject_zh": """
            {p}迟迟不到货
            订单{o}物流{d}没更新
            说好的送货时间没送到
            {p}配送太慢了
        """,
        "desc_zh": """
            {t}下的单，订单号{o}，{p}到现在还没送到，物流信息{d}没更新了，到底什么时候能到
            说好的三天送达，结果等了{d}还没收到{p}，问快递说在中转站压着，你们能不能催一下
            物流一直显示运输中，打快递电话也没人接，我都请了{n}次假在家等送货了，太耽误事了
            买的{p}承诺{t}前送达，现在超时{d}了，快递员说车坏了要延期，这算什么理由
            双十一买的{p}等了快{d}了 物流还停在发货城市 问客服就说在催 催了个寂寞
            送货师傅约了上午来，等到晚上也没来，电话打过去说今天送不了了，新房等着入住急用{p}
        """,
        "subject_en": """
            Delivery of {p} delayed
            Order {o} not delivered yet
        """,
        "desc_en": """
            Ordered the {p} on {t} (order {o}) and it still has not arrived. Tracking has not updated for {d}, when will it be delivered
            Delivery was promised within three days but I have waited {d} for the {p}. The courier says the parcel is stuck at a transit hub
            I took {n} days off to wait at home for the {p} delivery and nobody showed up untill evening. The carrier keeps postponing
        """,
        "res_zh": """
            已联系物流加急配送，{p}于次日送达，补偿{f}元优惠券
            核实为承运商中转延误，已催件并安排专车配送，客户已签收
            物流延误超时，按规则赔付{f}元，客户已收到货
        """,
        "res_en": """
            Escalated with the carrier; the {p} was delivered the next day and a {f} RMB voucher issued
            Transit hub delay confirmed; arranged a dedicated delivery and the customer signed for the parcel
        """,
    }),
    "damaged_in_transit": ("logistics", "运输损坏", "Damaged in transit", 0.25, {
        "subject_zh": """
            收到的{p}外包装破损
            {p}送到就是坏的
            {p}运输损坏
            到货{p}有磕碰变形
        """,
        "desc_zh": """
            刚收到{p}，外箱破了个大洞，拆开一看机身凹进去一块，面板也裂了，这明显是运输过程中摔的
            快递送来的{p}包装都压扁了，通电后{s}，肯定是路上磕坏的，要求换新
            {p}侧面好几道划痕还有磕碰变形，送货师傅放下就走了，根本没让我验货
            订单{o}，签收时没注意，晚上拆箱发现{p}玻璃面板碎了，泡沫都散了
            到货的{p}底部有水渍，外箱湿透了，不知道是不是运输时候淋了雨，不敢通电
            {p}送来就是坏的 面板裂了一条缝 箱子角都撞烂了 物流暴力运输 你们必须负责
        """,
        "subject_en": """
            {p} arrived damaged
            Shipping damage on order {o}
        """,
        "desc_en": """
            The {p} arrived with the box crushed and a big dent on the side, the front panel is cracked. Clearly damaged during shipping
            Unpacked the {p} from order {o} and the glass panel was shattered. The courier left before I could inspect it
            The {p} was delivered with deep scratches and it {s} when powered on, it must have been dropped in transit
        """,
        "res_zh": """
            核实为运输损坏，已安排上门换新并取回破损机，由承运商承担责任
            客户选择保留商品，按外观损坏补偿{f}元
            确认运输途中磕碰，为客户办理退货退款{a}元
        """,
        "res_en": """
            Confirmed transit damage; replacement unit delivered, damaged one collected and claim filed with the carrier
            Customer kept the unit; compensated {f} RMB for the cosmetic damage
        """,
    }),
    "wrong_item": ("logistics", "发错货", "Wrong item shipped", 0.15, {
        "subject_zh": """
            发错货了
            收到的不是我买的{p}
            型号发错
            颜色和型号都不对
        """,
        "desc_zh": """
            我买的是{p}，收到的型号完全不一样，订单号{o}，麻烦尽快给我换过来
            下单的时候选的白色，结果发来的是灰色的{p}，跟家里装修完全不搭
            打开箱子发现是别人的货，根本不是我买的{p}，你们仓库到底是怎么配货的
            {p}规格发错了，我要的是大容量的，送来的是小的，发票上写的也对不上
            收到货一看型号不对 订单写的是{p} 实际发来的是便宜的那款 这不是欺诈吗
            {t}收到的{p}和详情页图片不一样，颜色尺寸都不对，是不是发错了
        """,
        "subject_en": """
            Wrong item received instead of {p}
            Wrong model shipped for order {o}
        """,
        "desc_en": """
            I ordered the {p} but received a completely different model. Order number {o}, please swap it as soon as possible
            The box contained a different colour and a smaller size than the {p} I paid for. How did your warehouse pick this
            What arrived is the cheaper entry version, not the {p} on my order. Looks like the wrong item was shipped
        """,
        "res_zh": """
            核实为仓库发错货，已安排上门换货并取回错发商品，补偿{f}元
            为客户补发正确型号的{p}，错发商品由快递上门取回
            客户不再需要，已办理退货并全额退款{a}元
        """,
        "res_en": """
            Warehouse picking error confirmed; the correct {p} shipped, wrong item collected, {f} RMB compensation
            Customer declined an exchange; return processed and {a} RMB refunded
        """,
    }),
    "missing_parts": ("logistics", "缺件漏发", "Missing parts", 0.15, {
        "subject_zh": """
            {p}缺少配件
            少发了遥控器和安装支架
            {p}配件不全
            包裹里少东西
        """,
        "desc_zh": """
            {p}收到了，但是箱子里没有遥控器，说明书上明明写了有的，麻烦尽快补发一个
            安装师傅来了才发现{p}少了安装支架和螺丝，白跑一趟，又要重新约时间
            订单{o}，{p}的配件包是空的，螺丝和安装配件都没有，这怎么装
            买的{p}说好送的赠品没收到，配件也少了一样，客服说要查{d}才有结果
            拆箱发现少了电源线和说明书 {p}根本没法用 我是买来用的不是买来看的
            {p}到货了 但只到了主机，另一个包裹一直没见着，物流却显示已签收
        """,
        "subject_en": """
            Missing parts for {p}
            Accessories missing from order {o}
        """,
        "desc_en": """
            The {p} arrived without the remote control, even though the manual lists it in the box. Please send the missing part
            The installer came and found the mounting bracket and screws missing from the {p} box, so nothing could be installed
            Order {o}: the accessory bag for the {p} was empty, no screws or fittings at all. The free gift never arrived either
        """,
        "res_zh": """
            已安排补发缺少的配件，客户确认收到
            仓库核实漏发，已加急补发配件并重新预约安装
            补发赠品及配件，另补偿{f}元优惠券
        """,
        "res_en": """
            Missing accessories re-shipped by express; customer confirmed receipt
            Packing error confirmed; parts re-sent and installation rebooked
        """,
    }),
    # ------------------------------------------------------------- installation
    "technician_no_show": ("installation", "安装师傅爽约", "Technician no-show", 0.35, {
        "subject_zh": """
            安装师傅爽约
            约好的安装没人来
            {p}安装师傅放鸽子
            等了一天安装没上门
        """,
        "desc_zh": """
            约了{t}上午安装{p}，我请了假在家等了一整天，师傅一直没来，电话也不接，太不靠谱了
            已经约了{n}次安装了，每次都说来结果都没来，{p}在客厅放了{d}了没法用
            师傅说下午两点到，等到六点还没人影，打过去说忘了，这就是你们的服务
            {p}送到{d}了一直没人来装，预约的安装时间都过了也没有任何人通知改期
            安装工单{o}显示已派单，但师傅根本没上门，系统还显示已完成？？？怎么回是
            约好今天来装{p} 一直等不来 客服说联系不上师傅 让我再等等 我还要上班的
        """,
        "subject_en": """
            Technician did not show up
            Missed installation appointment for {p}
        """,
        "desc_en": """
            Booked the {p} installation for {t} and took the day off, but the technician never showed up and does not answer the phone
            I have booked the installation {n} times and nobody ever comes. The {p} has been sitting in its box for {d}
            The installer said he would arrive at 2pm, still nobody at 6pm. The app even shows the job as completed
        """,
        "res_zh": """
            已向客户致歉，改约次日上门并完成{p}安装，对师傅进行考核，补偿{f}元
            核实为网点漏派单，已优先安排资深师傅当天上门安装
            更换安装网点后已完成安装，赠送{f}元券
        """,
        "res_en": """
            Apologised, rebooked for the next morning and completed the installation; installer penalised, {f} RMB voucher given
            Dispatch error at the service point; a senior technician was sent the same day and installation done
        """,
    }),
    "improper_installation": ("installation", "安装不规范", "Improper installation", 0.4, {
        "subject_zh": """
            {p}没装好漏水
            安装不规范
            师傅把{p}装歪了
            {p}安装后出问题
        """,
        "desc_zh": """
            师傅装完{p}没两天就{i}，地板都泡了，这种安装水平也敢收钱
            {p}装得歪歪扭扭的，螺丝都没固定好，我真怕哪天出事砸到人，师傅装完拍拍屁股就走了
            安装师傅走了以后发现{p}{s}，另找人看说是{i}，这都什么水平
            装{p}的时候把我家墙打了好几个多余的洞，瓷砖也磕坏了，师傅还不承认
            {p}安装后一直{s}，师傅说是机器问题，厂家又说是安装没按规范来，到底谁负责
            {t}装的{p} 师傅走了才发现{i} 一看就是没按规范装 要求赔偿
        """,
        "subject_en": """
            {p} installed incorrectly
            Leak after installation of {p}
        """,
        "desc_en": """
            Two days after the installer left, the {p} {i}. My floor is soaked and the installer will not answer my calls
            The {p} is mounted crooked and the bracket is loose, I am afraid it will fall on someone. The installer clearly rushed the job
            Since the installation the {p} {s}. Another technician checked and said the unit {i}, a clear installation mistake
        """,
        "res_zh": """
            重新上门规范安装，紧固接口并做打压测试，无渗漏
            确认安装不规范，已重新固定{p}并赔偿墙面修补费用{f}元
            安排质检师傅复查并返工，对原安装师傅扣分处理
        """,
        "res_en": """
            Re-installed to standard, tightened the fittings and pressure-tested with no leak
            Improper installation confirmed; re-mounted the {p} and paid {f} RMB for the wall repair
        """,
    }),
    "extra_install_charge": ("installation", "安装乱收费", "Unexpected installation charge", 0.25, {
        "subject_zh": """
            安装乱收费
            安装师傅额外收费
            {p}安装费不合理
            说好免费安装还收钱
        """,
        "desc_zh": """
            买{p}的时候说包安装，结果师傅上门收了{f}元材料费，还不给收据
            安装师傅说支架要另买，开口就要{f}，不买就不给装，这不是强买强卖吗
            {p}安装完收了我{f}块的辅材费，网上查了下这些管子根本值不了这么多
            师傅说我家情况特殊要加钱，高空作业费打孔费加起来{f}元，事先完全没说
            说好的免费安装变收费安装？{p}装完收了{f}块，问他要价目表也不给看
            装{p}被安装师傅收了{f}元远程费 我就住市区 哪来的远程 要求退还
        """,
        "subject_en": """
            Unexpected installation fee
            Installer overcharged for {p}
        """,
        "desc_en": """
            The {p} was sold with free installation, but the installer charged me {f} RMB for materials and gave no receipt
            The installer refused to mount the {p} unless I bought his bracket for {f} RMB. Nobody told me about extra fees
            Charged {f} RMB for drilling and high-altitude work that was never mentioned before. Please refund this extra charge
        """,
        "res_zh": """
            核实师傅违规收费，已退还客户{f}元，并对网点通报处罚
            向客户出示官方收费标准，超出部分{f}元已退回
            辅材按标准价收取，已向客户解释并提供收费明细
        """,
        "res_en": """
            Unauthorised charge confirmed; refunded {f} RMB to the customer and the service point penalised
            Shared the official fee schedule; the overcharged part was refunded
        """,
    }),
    # --------------------------------------------------------- service_attitude
    "agent_rude": ("service_attitude", "客服态度恶劣", "Rude agent", 0.3, {
        "subject_zh": """
            客服态度恶劣
            投诉客服态度差
            客服挂我电话
            售后人员说话难听
        """,
        "desc_zh": """
            打电话问{p}的问题，客服态度特别差，不耐烦，说了两句就直接挂我电话
            客服说话阴阳怪气的，说我不会用才会坏，我花钱买东西还要受这个气
            上门的师傅态度恶劣，嫌我问得多，还一直骂骂咧咧的，他的工号我已经记下了
            在线客服回复特别敷衍，我问了{n}遍都是复制粘贴的话术，最后直接说爱买不买
            客服对我大吼大叫！！说这是我自己的问题 我又没做错什么 这种态度真的让人很生气
            {t}打的客服电话，那个客服一点礼貌都没有，还嘲笑我普通话不标准，要求道歉
        """,
        "subject_en": """
            Rude customer service agent
            Complaint about agent attitude
        """,
        "desc_en": """
            Called about my {p} and the agent was extremely rude and impatient, then hung up on me after two sentences
            The support agent told me it was my own fault and laughed at me. I paid for this product, I do not deserve this attitude
            The technician was rude, swore at me for asking questions and refused to explain anything about the {p}
        """,
        "res_zh": """
            已调取录音核实，客服用语不当，已向客户电话致歉并对相关客服进行培训考核
            主管回访致歉，赠送{f}元券，相关人员已停岗学习
            核实服务态度问题，已由组长致歉
        """,
        "res_en": """
            Reviewed the call recording, agent behaviour unacceptable; supervisor apologised and the agent was sent to retraining
            Team lead called back to apologise and issued a {f} RMB voucher
        """,
    }),
    "slow_response": ("service_attitude", "响应慢", "Slow response", 0.3, {
        "subject_zh": """
            客服一直不回复
            工单{d}没人处理
            联系不上客服
            回复太慢
        """,
        "desc_zh": """
            提交工单{d}了都没人联系我，打电话一直排队，排了半个小时也没接通
            在线客服发了消息一直没人回，留言也石沉大海，{p}的问题到底有没有人管
            {t}报的问题，当时说24小时内回电，到现在{d}了一个电话都没有
            app里的客服永远是机器人回复，转人工要等好久，等到了也说稍后回复然后就没了下文
            找客服太难了 电话打不通 微信不回 邮件也没回音 效率太底了吧
            我的工单{o}已经{d}没有任何进展，每次问都说在处理中，处理什么了
        """,
        "subject_en": """
            No response from support
            Ticket waiting {d} with no reply
        """,
        "desc_en": """
            Submitted a ticket {d} ago and nobody has contacted me. The hotline queue takes more than 30 minutes every time
            Messages to online support go unanswered for days and my emails get no reply. Is anyone actually handling the {p} issue
            Ticket {o} has shown in progress for {d} without any update. You promised a callback within 24 hours
        """,
        "res_zh": """
            已向客户致歉，专人跟进处理原工单，当天回复处理进度
            工单积压导致超时，已优先处理并补偿{f}元优惠券
            安排专属客服一对一跟进，客户问题已解决
        """,
        "res_en": """
            Apologised for the delay; a dedicated agent resolved the original request the same day
            Backlog caused the late reply; prioritised the ticket and issued a {f} RMB voucher
        """,
    }),
    "promise_not_kept": ("service_attitude", "承诺未兑现", "Promise not kept", 0.2, {
        "subject_zh": """
            承诺的事情没做到
            说好的补偿没兑现
            客服答应回电没回
            说好的给换新又反悔
        """,
        "desc_zh": """
            上次客服答应给我换新{p}，结果过了{d}又说不符合条件，出尔反尔
            说好{t}前给我回电话处理{p}的事，一直没等到，每次都是说说而已
            上次承诺补偿的{f}元优惠券到现在都没到账，问了{n}次都说还在申请
            客服电话里说会派人上门处理{p}，然后就没有然后了，说话根本不算数
            之前答应给延保一年 现在查不到记录 客服又说没这回事 录音你们自己去听
            你们经理亲口承诺{d}内给解决，现在早过了，我需要一个明确的处理时间
        """,
        "subject_en": """
            Promised compensation not received
            Broken promise from support
        """,
        "desc_en": """
            Your agent promised a replacement {p} but {d} later I was told I am not eligible. You keep changing your words
            I was promised a {f} RMB voucher as compensation and it never arrived, I have asked {n} times already
            The manager said someone would call me back by {t}. Nobody did. Stop making promises you do not keep
        """,
        "res_zh": """
            核实前期承诺，已补发{f}元优惠券并致歉
            按原承诺为客户办理{p}换新，已跟进到货
            调取记录确认承诺属实，已兑现延保并由主管回电致歉
        """,
        "res_en": """
            Verified the earlier commitment; issued the promised {f} RMB voucher and apologised
            Honoured the original promise and arranged the replacement {p}
        """,
    }),
    "passed_around": ("service_attitude", "互相推诿", "Passed between departments", 0.2, {
        "subject_zh": """
            客服互相推诿
            踢皮球
            问题转来转去没人管
            售后和厂家互相推责任
        """,
        "desc_zh": """
            {p}坏了找客服，客服让我找售后，售后让我找厂家，厂家又让我找卖家，一直踢皮球
            打了{n}个电话转了{n}个部门，每个人都说不归他们管，{p}的问题到底谁负责
            门店说要找线上客服，线上客服说是门店的单子，两边推来推去，问题{d}了还没解决
            客服一直踢皮球，一会说是物流的问题一会说是安装网点的问题，就是没人处理
            每次打电话都换一个人 每次都要重新说一遍 说完又让我等别的部门联系 受够了
            第三方平台买的{p}，平台说找品牌，品牌说找平台，订单{o}到现在没人管
        """,
        "subject_en": """
            Passed around between departments
            Nobody takes ownership of my case
        """,
        "desc_en": """
            Support sent me to after-sales, after-sales sent me to the manufacturer, and the manufacturer sent me back to the seller. Nobody will take responsibility for my {p}
            I have been transferred between {n} departments and every one of them says it is not their responsibility
            The store says it is an online order and online support says it is a store order, {d} of being passed around
        """,
        "res_zh": """
            指定专人负责到底，协调门店与售后一次性解决
            由客诉专员统一跟进，已联系网点上门处理{p}问题
            向客户致歉并建立首问负责工单，问题已闭环
        """,
        "res_en": """
            Assigned a single case owner who coordinated the store and after-sales; issue closed
            Complaint specialist took ownership and arranged the on-site visit for the {p}
        """,
    }),
    # ------------------------------------------------------------------ billing
    "double_charge": ("billing", "重复扣款", "Double charge", 0.3, {
        "subject_zh": """
            重复扣款
            付了两次钱
            订单{o}被扣了两次
            一笔订单扣款两次
        """,
        "desc_zh": """
            买{p}付款的时候页面卡了一下，结果银行卡被扣了两次{a}元，订单只有一个
            订单号{o}，支付宝显示扣了两笔一样的钱，麻烦把多扣的退给我
            我明明只下了一单，信用卡账单上却有两笔{a}元的消费，你们系统是怎么回事
            付款提示失败我又付了一次，结果两次都扣了，钱被扣了两份货只有一件
            {t}买的{p} 微信扣了我两次款 客服说系统正常 那我多出来的{a}去哪了
            买{p}分期付款第一个月被重复扣费，银行流水写得很清楚，请尽快核实退回
        """,
        "subject_en": """
            Charged twice for order {o}
            Duplicate payment
        """,
        "desc_en": """
            Paying for the {p} the page froze and my card was charged twice for {a} RMB, but there is only one order
            Order {o}: my bank statement shows two identical payments of {a} RMB for one {p}. Please refund the duplicate
            The payment said it failed so I paid again, now both went through. I was double charged for one item
        """,
        "res_zh": """
            核实为支付系统重复扣款，已原路退回多扣的{a}元，预计3-5个工作日到账
            已确认重复支付并发起退款，客户确认已收到退款
            财务核对流水后退还重复扣款，并赠送{f}元券致歉
        """,
        "res_en": """
            Duplicate charge confirmed by the payments team; {a} RMB refunded to the original card in 3-5 working days
            Verified the bank statement, refunded the duplicate payment and added a {f} RMB voucher
        """,
    }),
    "refund_delay": ("billing", "退款延迟", "Refund delay", 0.4, {
        "subject_zh": """
            退款迟迟不到账
            退货{d}了还没退款
            退款一直显示处理中
            催退款
        """,
        "desc_zh": """
            {p}{t}就退货了，快递显示仓库已签收，到现在{d}了退款还没到账
            退款一直显示处理中，客服说3到5个工作日，现在都{d}了，钱到底什么时候退
            订单{o}申请退款{a}元，审核通过好久了就是不打款，我要投诉
            {p}退货都退回去了，钱没退，问客服就说财务在处理，以经催了{n}次了
            说好的退款{d}了没动静 {a}块不是小数目 再不退我就找12315了
            取消订单后退款一直没到，银行说没收到任何退款，你们到底有没有发起
        """,
        "subject_en": """
            Refund still not received
            Where is my refund for order {o}
        """,
        "desc_en": """
            I returned the {p} on {t} and the warehouse signed for it, but {d} later the refund still has not arrived
            The refund of {a} RMB for order {o} has said processing for {d}. Support just says finance is handling it
            Cancelled my order and was promised a refund, but my bank says nothing has been sent. When will I get my money back
        """,
        "res_zh": """
            财务已加急处理，退款{a}元已原路退回，客户确认到账
            核实退款卡在审核环节，已手动推送，并补偿{f}元
            退款已打款，已提供银行流水号给客户查询
        """,
        "res_en": """
            Finance expedited the refund; {a} RMB returned to the original payment method, customer confirmed
            Refund was stuck in approval; pushed it manually and added {f} RMB goodwill credit
        """,
    }),
    "price_dispute": ("billing", "价格争议", "Price dispute", 0.3, {
        "subject_zh": """
            买完就降价
            价格不一致
            申请价保被拒
            {p}价格有问题
        """,
        "desc_zh": """
            我{t}买的{p}花了{a}元，才{d}就降价了好几百，申请价保被拒绝，太坑了
            门店价格和网上差了好几百，同一个{p}凭什么差这么多，买贵了能不能退差价
            买{p}下单时页面显示优惠{f}元，结算的时候优惠没了，实际付了{a}
            活动页面说买{p}送赠品加满减，结果满减没有算进去，白白多付了{f}元
            刚买完第二天就降价 申请保价说不在活动范围内 这个价格也太随意了吧
            订单{o}的开票金额和实际支付的不一样，价格到底按哪个算
        """,
        "subject_en": """
            Price drop after purchase
            Discount not applied on order {o}
        """,
        "desc_en": """
            Bought the {p} for {a} RMB on {t} and the price dropped a few hundred a week later. My price protection claim was refused
            The checkout page showed a {f} RMB discount but it disappeared when I paid. I was charged the full {a} RMB
            The same {p} is much cheaper online than in your store. Why the price difference, I want the gap refunded
        """,
        "res_zh": """
            核实符合价保规则，已退还差价{f}元
            向客户解释活动规则，按特殊处理补偿{f}元优惠券
            确认优惠未生效，已退还多付金额{f}元
        """,
        "res_en": """
            Eligible for price protection; refunded the {f} RMB difference
            Explained the promotion rules and offered a {f} RMB voucher as goodwill
        """,
    }),
    # ---------------------------------------------------------------- usability
    "user_misoperation": ("usability", "用户误操作", "User misoperation", 0.4, {
        "subject_zh": """
            {p}用不了了
            {p}面板锁住了
            {p}是不是我设置错了
            {p}按键没反应
        """,
        "desc_zh": """
            {p}突然{s}，也不知道是不是我按错了什么，前两天家里老人动过设置
            {p}一直{s}，是不是我哪里设置有问题，说明书看了半天也没找到原因
            {p}面板上一直亮着一把小锁的图标，按什么键都没反应，是不是坏了
            新买的{p}用了{d}发现不会调模式，一直是默认档，是不是我操作方法不对
            {p}屏幕显示一个代码，我把电源关了又开还是一样，我是不是误触了什么
            孩子乱按了{p}遥控器之后就{s} 不知道怎么恢复原来的设置 求教
            我把{p}的{c}拆下来清洗了一下，装回去之后就{s}，是不是我装反了
        """,
        "subject_en": """
            {p} not working - my mistake?
            Locked panel on {p}
        """,
        "desc_en": """
            The {p} suddenly {s}. Not sure if I pressed something wrong, my parents were playing with the settings
            There is a lock icon on the {p} panel and none of the buttons work. Is it broken or did I do something
            My kid pressed random buttons on the remote and now the {p} {s}. How do I reset it
        """,
        "res_zh": """
            经电话指导，确认为童锁开启，长按3秒解锁后{p}恢复正常
            远程指导客户恢复出厂设置，为误操作导致，设备无故障
            上门检查发现{c}安装反了，已重新安装并讲解正确使用方法
        """,
        "res_en": """
            Child lock was on; guided the customer to hold the lock key for 3 seconds and the {p} works normally
            Misoperation; walked the customer through a factory reset, no fault found
        """,
    }),
    "unclear_manual": ("usability", "说明书不清楚", "Unclear manual", 0.3, {
        "subject_zh": """
            说明书看不懂
            使用说明写得太简单
            {p}功能不会用
            说明书和实物不一致
        """,
        "desc_zh": """
            {p}的说明书写得太简单了，很多按键功能根本没写，我研究了{d}都不会用
            说明书是按老款写的，跟我的{p}面板完全对不上，按它说的操作根本不行
            想设置{p}的预约功能，说明书上只有一张小图，字小得看不清，老人根本看不懂
            说明书上的故障代码表里查不到我这个代码，{p}显示的到底是什么意思
            {p}的说明书全是专业术语 看了等于没看 能不能出个视频教程或者图解
            {p}清洗{c}的方法说明书上没写，网上找的教程又不一样，不敢乱拆
        """,
        "subject_en": """
            Manual for {p} is unclear
            Instructions do not match my {p}
        """,
        "desc_en": """
            The manual for the {p} is far too brief, half of the buttons are not explained and I still cannot use it after {d}
            The manual describes an older model, the panel on my {p} looks completely different from the pictures
            The error code on my {p} is not listed in the troubleshooting table of the manual. What does it mean
        """,
        "res_zh": """
            已发送{p}电子版说明书和操作视频，电话讲解预约功能设置，客户已学会
            向客户解释故障代码含义并指导处理，已反馈说明书修订
            安排师傅上门讲解使用和清洗方法
        """,
        "res_en": """
            Sent the digital manual and a how-to video, explained the settings by phone
            Explained the error code meaning; feedback logged for the manual revision
        """,
    }),
    "app_bug": ("usability", "App故障", "App bug", 0.3, {
        "subject_zh": """
            app连不上{p}
            app闪退
            智能控制用不了
            app一直crash
        """,
        "desc_zh": """
            app一直crash，打开就闪退，{p}没法远程控制了，卸载重装也没用
            {p}配网配了{n}次都失败，app一直提示设备离线，家里路由器是好的
            app里显示的{p}状态和实际不一样，明明关了app上还显示在运行
            手机上更新app之后{p}从设备列表里消失了，重新添加一直转圈圈
            app登录不上 一直提示网络异常 其他app都正常 就你们的不行
            用app设置的{p}定时不生效，推送通知也收不到，这个智能功能形同虚设
        """,
        "subject_en": """
            App crashes
            Cannot connect {p} to the app
        """,
        "desc_en": """
            The app keeps crashing as soon as I open it, I can no longer control the {p} remotely. Reinstalling did not help
            Tried to pair the {p} with the app {n} times, it always says device offline even though my wifi works fine
            After the app update the {p} disappeared from my device list and adding it again just spins forever
        """,
        "res_zh": """
            确认为app版本缺陷，指导客户升级至最新版本后恢复正常
            远程协助客户重新配网，{p}已成功连接app
            问题已提交技术部修复，新版app已发布，客户确认可用
        """,
        "res_en": """
            Known app bug; customer updated to the latest version and the issue is gone
            Remote session to re-pair the {p}; device now online in the app
        """,
    }),
    # ----------------------------------------------------------------- warranty
    "out_of_warranty": ("warranty", "超出保修期", "Out of warranty", 0.4, {
        "subject_zh": """
            刚过保修期就坏了
            过保维修收费太贵
            {p}过保了能不能免费修
            保修期刚过{p}就{s}
        """,
        "desc_zh": """
            {p}刚过保修期{d}就{s}，售后说过保了要收费，维修报价{f}元，这也太巧了吧
            {p}用了一年多{s}，客服说已经过保，上门费加配件要好几百，能不能通融一下
            过保才{d}，{p}的{c}坏了就要我自己出钱修，这质量保修期一过就坏
            {p}买了三年了，最近{s}，知道已经过保了，想问下付费维修大概多少钱
            说是保修期一年 {p}刚过保就出问题 修一次{f}块 还不如买个新的
            我的{p}超出保修期了，但是这个故障明显是质量问题，能不能按保内处理
        """,
        "subject_en": """
            {p} failed just after warranty
            Out-of-warranty repair cost
        """,
        "desc_en": """
            My {p} {s} just {d} after the warranty expired and after-sales quoted {f} RMB for the repair. What a coincidence
            The {p} is a bit over one year old and the {c} failed. I know it is out of warranty but the repair fee seems too high
            Out of warranty by only {d} and the {p} {s}. Can you make an exception, the fault is clearly a quality issue
        """,
        "res_zh": """
            已过保，向客户说明收费标准，经申请给予配件费五折优惠，客户同意付费维修
            特批按保内处理，免费更换{c}
            客户选择不维修，已提供以旧换新优惠{f}元
        """,
        "res_en": """
            Out of warranty; explained the fee schedule and approved 50% off parts, customer accepted a paid repair
            Goodwill exception approved, {c} replaced free of charge
        """,
    }),
    "warranty_proof_missing": ("warranty", "缺少保修凭证", "Missing proof of purchase", 0.3, {
        "subject_zh": """
            发票丢了能保修吗
            没有购买凭证不给保修
            保修卡丢失
            查不到购买记录
        """,
        "desc_zh": """
            {p}{s}，想报修但是发票找不到了，售后说没有凭证不给保修，我明明是在你们官方店买的
            保修卡丢了，订单也是家里人用别的账号下的，这种情况{p}还能保修吗
            {p}是{t}在门店买的，当时没开发票，现在售后非要看凭证，怎么办
            系统查不到我的购买记录，机身条码也模糊了，售后就按过保收费，不合理
            {p}的发票被我不小心当废纸扔了 只有付款截图 能不能算购买凭证啊
            {p}是别人送的礼物，没有发票，但是明显还在保修期内，能不能按生产日期算
        """,
        "subject_en": """
            Lost invoice - warranty claim
            No proof of purchase for {p}
        """,
        "desc_en": """
            The {p} {s} but I lost the invoice. After-sales refuses warranty service without proof, even though I bought it in your official store
            I only have a payment screenshot for the {p}, no invoice or warranty card. Does that count as proof of purchase
            Your system cannot find my purchase record and the serial label is worn, so I am being charged as out of warranty
        """,
        "res_zh": """
            通过订单号{o}在系统中查到购买记录，已按保内处理
            按机身生产日期推算保修期，仍在保内，已安排免费维修
            客户提供付款记录作为凭证，审核通过后免费维修
        """,
        "res_en": """
            Located the purchase through order {o}; handled under warranty
            Warranty start estimated from the production date; still covered, free repair booked
        """,
    }),
    "policy_misunderstanding": ("warranty", "政策理解偏差", "Policy misunderstanding", 0.3, {
        "subject_zh": """
            三包政策咨询
            七天无理由退货被拒
            保修范围不清楚
            延保到底保什么
        """,
        "desc_zh": """
            买的{p}才{d}，想七天无理由退货被拒了，说拆封了不行，宣传的时候可没说
            三包规定不是说十五天内可以换货吗，为什么你们说{p}要检测后才能定
            我给{p}买了延保，结果{c}坏了说不在延保范围内，那我买延保有什么用
            保修条款写的整机保一年主要部件保三年，{p}的{c}算不算主要部件
            售后说人为损坏不保修 但我根本没碰过 什么算人为损坏你们说了算吗
            以旧换新的补贴规则看不懂，门店和客服说的不一样，{p}到底能补多少
        """,
        "subject_en": """
            Question about warranty policy
            7-day return refused
        """,
        "desc_en": """
            I wanted to return the {p} under the 7-day no-reason policy but was refused because the box was opened. Nobody told me that
            I paid for the extended warranty and now the {c} is not covered. What does the extended warranty actually cover
            The terms say one year on the whole unit and three years on key parts. Does the {c} of my {p} count as a key part
        """,
        "res_zh": """
            向客户详细解释三包及保修政策条款，客户表示理解
            经核实{c}属于主要部件，按三年保修免费处理
            按政策为客户办理换货，已发送保修条款说明
        """,
        "res_en": """
            Explained the warranty and return policy terms in detail
            Confirmed the {c} is a key part covered for three years; free repair arranged
        """,
    }),
}

# Product-line symptoms ({s}), components ({c}) and installation faults ({i}), so texts read
# right for each line; zh/en lists need not align.
# "" is the line used when a ticket has no product.
_LINE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "water_heater": {
        "s_zh": ("漏水", "温控阀漏水", "不加热", "水温忽冷忽热", "显示E4故障码", "温控失灵", "内胆渗水"),
        "s_en": ("keeps leaking water", "has a faulty thermostat valve", "swings between hot and cold water", "won't heat up", "shows error code E4"),
        "c_zh": ("温控阀", "温控阀", "加热管", "密封圈"),
        "c_en": ("thermostat valve", "thermostat valve", "heating element", "seal"),
        "i_zh": ("漏水，一看是进水管接口没拧紧", "漏水，原来泄压阀的排水管根本没接", "漏电跳闸，地线都没接好"),
        "i_en": ("leaks water because the inlet pipe joint was never tightened", "trips the breaker because the earth wire was not connected"),
    },
    "air_conditioner": {
        "s_zh": ("不制冷", "内机漏水", "开机几分钟就自动停", "显示E1故障", "制热没效果"),
        "s_en": ("stopped cooling", "drips water from the indoor unit", "shuts off after a few minutes", "shows error code E1"),
        "c_zh": ("电控板", "排水管", "压缩机", "风扇电机"),
        "c_en": ("control board", "drain pipe", "compressor", "fan motor"),
        "i_zh": ("漏水，排水管坡度装反了", "不制冷，铜管接口没拧紧漏氟了", "外机晃得厉害，支架螺丝都没拧紧"),
        "i_en": ("leaks water because the drain pipe slopes the wrong way", "lost refrigerant through a loose copper pipe joint"),
    },
    "refrigerator": {
        "s_zh": ("冷藏室不制冷", "冷冻室结霜严重", "压缩机一直不停", "门封漏气", "显示F2故障"),
        "s_en": ("stopped cooling", "builds up thick frost in the freezer", "runs the compressor non-stop", "shows error code F2"),
        "c_zh": ("压缩机", "温控器", "门封条", "主板"),
        "c_en": ("compressor", "thermostat", "door gasket", "main board"),
        "i_zh": ("噪音特别大，柜体根本没调平", "门关不严，水平都没调", "制冰机漏水，进水管接口没拧紧"),
        "i_en": ("rattles loudly because the cabinet was never levelled", "leaks water from the ice maker inlet joint"),
    },
    "washing_machine": {
        "s_zh": ("不脱水", "底部漏水", "门锁打不开", "滚筒不转", "显示E21"),
        "s_en": ("won't spin", "leaks water from the bottom", "won't unlock the door", "shows error code E21"),
        "c_zh": ("排水泵", "门锁", "电机", "进水阀"),
        "c_en": ("drain pump", "door lock", "motor", "inlet valve"),
        "i_zh": ("漏水，排水管接口没拧紧", "甩干时整机乱跳，运输螺栓都没拆", "进水特别慢，进水管被压扁了"),
        "i_en": ("leaks water from a loose drain hose joint", "jumps around when spinning because the transit bolts were left in"),
    },
    "television": {
        "s_zh": ("黑屏", "屏幕出现竖线", "突然没声音", "反复重启", "背光不亮"),
        "s_en": ("goes black", "shows vertical lines on the screen", "loses sound randomly", "keeps rebooting"),
        "c_zh": ("主板", "背光灯条", "电源板", "屏幕排线"),
        "c_en": ("main board", "backlight strip", "power board", "panel cable"),
        "i_zh": ("挂上去是歪的，挂架螺丝都没打牢", "信号时有时无，线都没接好", "晃来晃去，挂架没固定在承重墙上"),
        "i_en": ("hangs crooked because the wall bracket screws are loose", "loses signal because the cables were plugged in wrong"),
    },
    "robot_vacuum": {
        "s_zh": ("不回充", "边刷不转", "一直原地打转", "吸力变得很弱", "水箱漏水"),
        "s_en": ("won't return to the dock", "has a side brush that won't turn", "spins in circles", "lost most of its suction"),
        "c_zh": ("边刷电机", "充电座", "主板", "激光雷达"),
        "c_en": ("side brush motor", "charging dock", "main board", "lidar sensor"),
        "i_zh": ("回不了充电座，充电座位置放错了也没调试", "上下水模块漏水，水管接口没拧紧", "建图一直失败，师傅根本没调试"),
        "i_en": ("leaks water from the auto-refill pipe joint", "cannot find the dock because it was placed in the wrong spot"),
    },
    "range_hood": {
        "s_zh": ("吸力很弱", "漏油", "电机不转", "灯不亮", "按键失灵"),
        "s_en": ("has very weak suction", "drips oil", "won't start the fan", "has buttons that stopped responding"),
        "c_zh": ("电机", "控制面板", "油杯", "止回阀"),
        "c_en": ("motor", "control panel", "oil cup", "check valve"),
        "i_zh": ("烟全往外冒，烟管接口没封好", "漏油，油杯都没装到位", "机身晃动，挂板螺丝没打紧"),
        "i_en": ("leaks smoke because the duct joint was never sealed", "drips oil because the oil cup was not fitted"),
    },
    "": {
        "s_zh": ("出故障", "用不了", "没法正常工作", "开不了机"),
        "s_en": ("stopped working", "keeps breaking down", "won't turn on"),
        "c_zh": ("主板", "配件", "电源板"),
        "c_en": ("main board", "part", "power board"),
        "i_zh": ("漏水，接口根本没拧紧", "晃得厉害，螺丝都没拧紧", "老是跳闸，线路接错了"),
        "i_en": ("leaks water from a loose joint", "keeps tripping the breaker because of wrong wiring"),
    },
}

# Ticket-type flavour: opener + body + [PII] + closer. Closers start with their separator.
_OPENERS: dict[str, dict[str, tuple[str, ...]]] = {
    "complaint": {"zh": ("", "", "我要投诉！", "投诉，", "太气人了，", "你们好，"),
                  "en": ("", "", "This is unacceptable. ", "I want to file a complaint. ")},
    "inquiry": {"zh": ("", "你好，", "请问一下，", "咨询下，", "您好，想问一下，"),
                "en": ("", "Hi there. ", "Hello. ")},
    "repair": {"zh": ("", "报修：", "你好，我要报修，", "申请维修，", "您好，"),
               "en": ("", "Repair request: ", "Hi. ")},
    "return": {"zh": ("", "申请退换货，", "你好，", "我要退货，"),
               "en": ("", "Return request. ", "Hello. ")},
    "suggestion": {"zh": ("", "提个建议，", "反馈一下，", "说点意见，"),
                   "en": ("", "Some feedback. ", "A suggestion. ")},
}
_CLOSERS: dict[str, dict[str, tuple[str, ...]]] = {
    "complaint": {
        "zh": ("，太失望了！", "。必须给我一个说法！！！", "，再不处理我就去12315投诉了", "，要求赔偿", "😡😡", "！！！",
               "。在也不会买你们家东西了", "，请尽快处理", ""),
        "en": (". Very disappointed!", ". I expect compensation.", "!!! Fix this now.", ". Terrible experience 😡", "."),
    },
    "inquiry": {
        "zh": ("，请问这种情况怎么处理？", "，请问怎么办？？", "，想问下该怎么解决？", "，请问能不能帮忙看看？",
               "，请问大概要多久？", "？"),
        "en": (". How should I handle this?", ". What can I do?", ". Could you please advise?"),
    },
    "repair": {
        "zh": ("，麻烦尽快安排师傅上门看看", "，请安排维修，谢谢", "，什么时候能来修？", "，急用，在线等🙏", "。报修，电话联系"),
        "en": (". Please send a technician asap.", ". Please arrange a repair visit.", ". When can someone come?"),
    },
    "return": {
        "zh": ("，要求退货", "，我要换新机", "，能不能给退换？", "，申请退货退款", "，不想要了，退了吧"),
        "en": (". I want to return it for a refund.", ". Please exchange it for a new one.", ". Can I return it?"),
    },
}
# Suggestions close with a category-specific idea, so the type flavour stays on topic.
_SUGGESTION_CLOSERS: dict[str, dict[str, tuple[str, ...]]] = {
    "quality": {"zh": ("。建议你们加强出厂质检", "，建议厂家重视一下质量问题，该召回就召回", "。希望改进品控"),
                "en": (". I suggest stricter factory quality checks.", ". You should recall faulty units instead of repairing them one by one.")},
    "logistics": {"zh": ("。建议换个靠谱点的物流", "，建议发货后及时更新物流信息", "。希望改进配送服务"),
                  "en": (". I suggest using a more reliable carrier.", ". You should keep tracking information up to date.")},
    "installation": {"zh": ("。建议加强对安装师傅的管理", "，建议安装收费标准公开透明", "。希望安装服务规范一点"),
                     "en": (". I suggest better training for installers.", ". You should publish the installation fee list.")},
    "service_attitude": {"zh": ("。建议加强客服培训", "，建议设一个专人负责到底的机制", "。希望客服效率高一点"),
                         "en": (". I suggest better training for your support staff.", ". You should give each case one owner.")},
    "billing": {"zh": ("。建议优化支付和退款流程", "，建议价格规则写清楚一点", "。希望退款能快一点"),
                "en": (". I suggest simplifying the payment and refund process.", ". You should make pricing rules clearer.")},
    "usability": {"zh": ("。建议出个视频教程", "，建议app和说明书做得简单易懂一点", "。希望优化一下操作体验"),
                  "en": (". I suggest making a video tutorial.", ". You should make the app and manual easier to follow.")},
    "warranty": {"zh": ("。建议把保修政策写清楚", "，建议保修期延长一点", "。希望保修凭证可以电子化"),
                 "en": (". I suggest explaining the warranty policy more clearly.", ". You should accept electronic proof of purchase.")},
}
_SUBJECT_PREFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "complaint": {"zh": ("", "", "投诉：", "【投诉】", "强烈投诉 "), "en": ("", "", "Complaint: ")},
    "inquiry": {"zh": ("", "", "咨询：", "【咨询】"), "en": ("", "", "Question: ")},
    "repair": {"zh": ("", "", "报修：", "【报修】"), "en": ("", "", "Repair request: ")},
    "return": {"zh": ("", "", "退换货：", "【退换货】"), "en": ("", "", "Return request: ")},
    "suggestion": {"zh": ("", "", "建议：", "【建议】"), "en": ("", "", "Suggestion: ")},
}
_RESOLUTION_TAILS = {
    "zh": ("", "。", "，客户表示满意", "，客户接受处理方案", "。已回访，客户认可", "，客户满意，工单关闭"),
    "en": ("", ".", ". Customer satisfied.", ". Customer accepted the solution.", ". Follow-up call done, case closed."),
}

_DURATIONS = {
    "zh": ("3天", "5天", "一周", "一个星期", "十来天", "两周", "半个月", "20天", "一个月", "一个多月", "两个月"),
    "en": ("3 days", "five days", "a week", "10 days", "two weeks", "three weeks", "a month", "over a month", "two months"),
}
_COUNTS = {"zh": ("两", "3", "三", "4", "五", "好几"), "en": ("two", "3", "three", "four", "several")}
_FEES = ("30", "50", "80", "100", "120", "150", "180", "200", "260", "300", "398")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_DAYS = (1, 3, 5, 8, 10, 12, 15, 18, 20, 22, 25, 28)
_DATES = {
    "zh": tuple(f"{m}月{d}号" for m in range(1, 13) for d in _DAYS[::2])
    + tuple(f"{m}月{d}日" for m in range(1, 13) for d in _DAYS[1::2])
    + ("昨天", "前天", "上周三", "上周末", "上个月底", "月初", "上周五", "上个月中旬") * 6,
    "en": tuple(f"{mon} {d}" for mon in _MONTHS_EN for d in _DAYS)
    + ("yesterday", "last Friday", "last weekend", "the 3rd", "early this month", "last Monday") * 8,
}
_GENERIC_MENTIONS = {"zh": ("机器", "机器", "产品", "机子", "电器"), "en": ("appliance", "unit", "machine", "product")}
_GENERIC_AMOUNTS = ("899", "1299", "1999", "2599", "3299", "4999")

SURVEY_COMMENTS: dict[str, dict[int, tuple[str, ...]]] = {
    "zh": {
        1: ("太差了，再也不会买了", "问题根本没解决，浪费时间", "客服态度差，处理慢，非常不满意", "等了这么久还是没修好，失望透顶",
            "一星都不想给", "垃圾服务，投诉无门", "说好的上门又没来，差评"),
        2: ("不太满意，处理太慢了", "问题解决了一半，还得自己跑", "服务偏差，沟通很费劲", "等太久了，体验不好",
            "师傅来得晚，也没解释清楚", "来回折腾好几次才弄好"),
        3: ("一般吧", "还行，就是等得有点久", "问题解决了，但过程比较麻烦", "中规中矩", "凑合，希望下次快一点", "没什么特别的感觉"),
        4: ("挺好的，处理比较及时", "师傅很专业，就是预约等了两天", "满意，客服很耐心", "问题解决了，整体不错", "服务不错，点个赞",
            "比预期快，下次还找你们"),
        5: ("非常满意！师傅专业又热情", "客服很耐心，问题很快就解决了，赞👍", "超出预期，五星好评", "处理得又快又好，谢谢",
            "服务特别好，以后还买你们家的", "当天就解决了，太给力了"),
    },
    "en": {
        1: ("Terrible service, problem still not fixed", "Worst support experience ever, never buying again",
            "Nobody helped me, complete waste of time", "Very disappointed with how this was handled"),
        2: ("Not happy, it took far too long", "Only half solved, had to chase them repeatedly", "Slow and unhelpful"),
        3: ("It was okay", "Fixed in the end, but it took a while", "Average experience, nothing special"),
        4: ("Good service, fairly quick", "Technician was professional, the wait was a bit long", "Satisfied overall"),
        5: ("Excellent! Fast and friendly", "Great support, solved my problem the same day", "Very satisfied, thank you 👍"),
    },
}
_SURVEY_TAILS = {  # by sentiment: 0 negative, 1 neutral, 2 positive
    "zh": (("", "！", "！！！", "😡", "。"), ("", "。", "吧"), ("", "！", "👍", "～")),
    "en": (("", "!", "!!!", "."), ("", "."), ("", "!", " 👍")),
}

# Fake PII (never real people): intro phrases by kind; the masker must catch the {x} part.
_PII_INTROS = {
    "zh": {
        "mobile": ("，我电话{x}", "，有事打我手机{x}", "，联系电话：{x}", "，回电{x}", " 电话{x}"),
        "email": ("，邮箱{x}", "，处理结果发我邮箱{x}", "，我的邮箱是{x}"),
        "id_card": ("，身份证号{x}", "，我身份证{x}你们查一下", "，登记的身份证号码{x}"),
        "bank_card": ("，退款退到这张卡{x}", "，银行卡号{x}", "，扣款的卡号是{x}"),
        "address": ("，地址：{x}", "，上门地址{x}", "，我家在{x}"),
    },
    "en": {
        "mobile": (". Call me at {x}", ". My phone: {x}", ", reach me on {x}"),
        "email": (". My email is {x}", ". Reply to {x}"),
        "bank_card": (". Card number {x}", ". Refund to my card {x}"),
        "address": (". Address: {x}", ". I live at {x}"),
    },
}
_PII_KINDS = {  # kind -> probability, per language
    "zh": (("mobile", 0.38), ("intl", 0.07), ("email", 0.15), ("id_card", 0.12), ("bank_card", 0.13), ("address", 0.15)),
    "en": (("mobile", 0.3), ("intl", 0.2), ("email", 0.25), ("bank_card", 0.1), ("address", 0.15)),
}
_EMAIL_USERS = ("zhangwei", "li.na", "wangfang", "chenjie", "liuyang", "huang_min", "zhaolei", "sunli", "kevin.wu", "amy_chen", "xiaoyu")
_EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com", "hotmail.com")
_ID_AREAS = ("110105", "310115", "440305", "330106", "510107", "420106", "320102", "370202")
_CARD_PREFIXES = ("62", "6222", "6217", "6228", "4367", "5187")
_ZH_PLACES = (("上海市", "浦东新区", "张江路"), ("北京市", "朝阳区", "建国路"), ("广州市", "天河区", "天河北路"),
              ("深圳市", "南山区", "科技园南路"), ("杭州市", "西湖区", "文三路"), ("成都市", "武侯区", "人民南路"),
              ("武汉市", "洪山区", "珞喻路"), ("南京市", "鼓楼区", "中山北路"))
_EN_PLACES = (("Shanghai", "Pudong", "Zhangjiang Road"), ("Beijing", "Chaoyang District", "Jianguo Road"),
              ("Shenzhen", "Nanshan District", "Keyuan South Road"), ("Hangzhou", "Xihu District", "Wensan Road"))
# fmt: on

# ----------------------------------------------------------------------------- derived tables

ROOT_CAUSES: dict[str, RootCause] = {
    code: RootCause(code, cat, zh, en, weight) for code, (cat, zh, en, weight, _) in _BANK.items()
}
ROOT_CAUSES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    cat: tuple(code for code, rc in ROOT_CAUSES.items() if rc.category == cat)
    for cat in codes.CATEGORIES
}


def _by_lang(kind: str) -> dict[str, dict[str, tuple[str, ...]]]:
    return {
        code: {lang: _lines(banks[f"{kind}_{lang}"]) for lang in codes.LANGUAGES}
        for code, (*_, banks) in _BANK.items()
    }


# root cause -> language -> templates
SUBJECT_TEMPLATES = _by_lang("subject")
DESCRIPTION_TEMPLATES = _by_lang("desc")
RESOLUTION_TEMPLATES = _by_lang("res")


_SLOTS = ("p", "s", "c", "d", "t", "o", "a", "f", "n", "i")  # order of the per-row slot tuple
# Named slots -> positional ("{p}" -> "{0}"): format(*row) is ~2x faster than keywords.
_POSITIONAL = {f"{{{name}}}": f"{{{i}}}" for i, name in enumerate(_SLOTS)}


def _positional(template: str) -> str:
    for named, pos in _POSITIONAL.items():
        template = template.replace(named, pos)
    return template


class _Pool:
    """Strings in numbered groups; picks one per row from that row's group, vectorised."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        if any(len(g) == 0 for g in groups):
            raise ValueError("empty phrase group")  # would silently pick from the next group
        self.values = np.array([v for g in groups for v in g], dtype=object)
        self.counts = np.array([len(g) for g in groups], dtype=np.intp)
        self.offsets = np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype(np.intp)

    def pick(self, group: np.ndarray, u: np.ndarray) -> list[str]:
        idx = self.offsets[group] + (u * self.counts[group]).astype(np.intp)
        return self.values[idx].tolist()


_LANGS = codes.LANGUAGES  # pools are grouped as key * 2 + language index
_LANG_INDEX = {lang: i for i, lang in enumerate(_LANGS)}
_EN = _LANG_INDEX["en"]
_TYPE_INDEX = {t: i for i, t in enumerate(codes.TICKET_TYPES)}
_CAT_INDEX = {c: i for i, c in enumerate(codes.CATEGORIES)}
_RC_CODES = tuple(ROOT_CAUSES)
_RC_INDEX = {code: i for i, code in enumerate(_RC_CODES)}
_RC_CATEGORY = np.array([_CAT_INDEX[ROOT_CAUSES[c].category] for c in _RC_CODES], dtype=np.intp)

_LINES = (*PRODUCT_LINES, "")
_PRODUCT_INDEX: dict[str | None, int] = {p.product_id: i for i, p in enumerate(PRODUCTS)}
_PRODUCT_INDEX[None] = len(PRODUCTS)  # generic "no product" slot
_PRODUCT_LINE = np.array(
    [_LINES.index(p.product_line) for p in PRODUCTS] + [len(_LINES) - 1], dtype=np.intp
)
_BRAND_MODEL = re.compile(r"^([\u4e00-\u9fff]+)([A-Za-z0-9][A-Za-z0-9\- ]*?)\s*[\u4e00-\u9fff]")


def _mentions(lang: str) -> list[tuple[str, ...]]:
    """Ways a customer names each product: full name, line noun (most often), brand, model."""
    out = []
    for p in PRODUCTS:
        noun_zh, noun_en, _ = PRODUCT_LINES[p.product_line]
        m = _BRAND_MODEL.match(p.name_zh)
        brand_zh, model = (m.group(1), m.group(2)) if m else ("", noun_zh)
        brand_en = p.name_en.split(" ", 1)[0]
        if lang == "zh":
            forms = (
                p.name_zh,
                noun_zh,
                noun_zh,
                noun_zh,
                brand_zh + noun_zh,
                model,
                model + noun_zh,
            )
        else:
            forms = (
                p.name_en,
                noun_en,
                noun_en,
                noun_en,
                f"{brand_en} {noun_en}",
                f"{model} {noun_en}",
                model,
            )
        out.append(forms)
    out.append(_GENERIC_MENTIONS[lang])
    return out


def _rc_pool(templates: dict[str, dict[str, tuple[str, ...]]]) -> _Pool:
    return _Pool(
        [tuple(map(_positional, templates[c][lang])) for c in _RC_CODES for lang in _LANGS]
    )


def _amounts(price: float) -> tuple[str, ...]:
    return tuple(str(int(x)) for x in (price, price - 100, price - 200, round(price * 0.95, -1)))


_SUBJECTS = _rc_pool(SUBJECT_TEMPLATES)
_DESCRIPTIONS = _rc_pool(DESCRIPTION_TEMPLATES)
_RESOLUTIONS = _rc_pool(RESOLUTION_TEMPLATES)
_MENTION_POOL = _Pool(
    [m for i in range(len(PRODUCTS) + 1) for m in (_mentions(lang)[i] for lang in _LANGS)]
)
_SYMPTOM_POOL = _Pool([_LINE_WORDS[line][f"s_{lang}"] for line in _LINES for lang in _LANGS])
_COMPONENT_POOL = _Pool([_LINE_WORDS[line][f"c_{lang}"] for line in _LINES for lang in _LANGS])
_INSTALL_FAULT_POOL = _Pool([_LINE_WORDS[line][f"i_{lang}"] for line in _LINES for lang in _LANGS])
_AMOUNT_POOL = _Pool([_amounts(p.base_price) for p in PRODUCTS] + [_GENERIC_AMOUNTS])
_FEE_POOL = _Pool([_FEES])
_DURATION_POOL = _Pool([_DURATIONS[lang] for lang in _LANGS])
_DATE_POOL = _Pool([_DATES[lang] for lang in _LANGS])
_COUNT_POOL = _Pool([_COUNTS[lang] for lang in _LANGS])
_SUBJECT_PREFIX_POOL = _Pool(
    [_SUBJECT_PREFIXES[t][lang] for t in codes.TICKET_TYPES for lang in _LANGS]
)
_OPENER_POOL = _Pool([_OPENERS[t][lang] for t in codes.TICKET_TYPES for lang in _LANGS])
# group = (type * n_categories + category) * 2 + language
_CLOSER_POOL = _Pool(
    [
        (_SUGGESTION_CLOSERS[cat] if t == "suggestion" else _CLOSERS[t])[lang]
        for t in codes.TICKET_TYPES
        for cat in codes.CATEGORIES
        for lang in _LANGS
    ]
)
_RES_TAIL_POOL = _Pool([_RESOLUTION_TAILS[lang] for lang in _LANGS])
_SURVEY_POOL = _Pool([SURVEY_COMMENTS[lang][c] for c in range(1, 6) for lang in _LANGS])
_SURVEY_TAIL_POOL = _Pool([_SURVEY_TAILS[lang][s] for s in range(3) for lang in _LANGS])
_SURVEY_SENTIMENT = np.array([0, 0, 0, 1, 2, 2], dtype=np.intp)  # index by csat 1..5
_NO_PUNCT = str.maketrans({"，": " ", "。": " ", "、": " ", "：": " ", "！": ""})


def _indices(values: Sequence[object], index: dict, what: str) -> np.ndarray:
    try:
        return np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))
    except (KeyError, TypeError) as exc:
        bad = next(v for v in values if v not in index)
        valid = ", ".join(sorted(str(k) for k in index))
        raise ValueError(f"Unknown {what} {bad!r}; valid: {valid}") from exc


def _check_lengths(n: int, **columns: Sequence[object]) -> None:
    bad = {name: len(col) for name, col in columns.items() if len(col) != n}
    if bad:
        raise ValueError(f"All columns must have {n} rows; got {bad}")


def compose_ticket_texts(
    rng: np.random.Generator,
    *,
    root_causes: Sequence[str],
    ticket_types: Sequence[str],
    languages: Sequence[str],
    product_ids: Sequence[str | None],
    resolved: Sequence[bool],
) -> tuple[list[str], list[str], list[str | None]]:
    """Subject, description and resolution (None where not resolved) for each ticket row.

    All inputs are per-row and of equal length; ``product_ids`` may hold None (generic text).
    """
    n = len(root_causes)
    _check_lengths(
        n,
        ticket_types=ticket_types,
        languages=languages,
        product_ids=product_ids,
        resolved=resolved,
    )
    rc = _indices(root_causes, _RC_INDEX, "root cause")
    tt = _indices(ticket_types, _TYPE_INDEX, "ticket type")
    lg = _indices(languages, _LANG_INDEX, "language")
    pr = _indices(product_ids, _PRODUCT_INDEX, "product_id")
    done = np.fromiter(resolved, dtype=bool, count=n)

    u = rng.random((19, n))  # one block: the draw order is fixed, so output is seed-stable
    g_rc = rc * 2 + lg
    g_tt = tt * 2 + lg
    g_line = _PRODUCT_LINE[pr] * 2 + lg
    order_no = (2_400_000_000 + u[5] * 999_999_999).astype(np.int64).astype(str)
    rows = list(
        zip(  # one tuple per row, in _SLOTS order
            _MENTION_POOL.pick(pr * 2 + lg, u[0]),
            _SYMPTOM_POOL.pick(g_line, u[1]),
            _COMPONENT_POOL.pick(g_line, u[2]),
            _DURATION_POOL.pick(lg, u[3]),
            _DATE_POOL.pick(lg, u[4]),
            np.char.add("SO", order_no).tolist(),
            _AMOUNT_POOL.pick(pr, u[6]),
            _FEE_POOL.pick(np.zeros(n, dtype=np.intp), u[7]),
            _COUNT_POOL.pick(lg, u[8]),
            _INSTALL_FAULT_POOL.pick(g_line, u[18]),
            strict=True,
        )
    )

    subjects = [
        pre + t.format(*r)
        for pre, t, r in zip(
            _SUBJECT_PREFIX_POOL.pick(g_tt, u[9]), _SUBJECTS.pick(g_rc, u[10]), rows, strict=True
        )
    ]
    for i in np.flatnonzero(lg == _EN).tolist():  # en subjects may start with a lowercase noun
        subjects[i] = subjects[i][:1].upper() + subjects[i][1:]

    pii = [""] * n
    pii_rows = np.flatnonzero(u[11] < PII_RATE)
    for i, frag in zip(pii_rows.tolist(), _pii_fragments(rng, lg[pii_rows]), strict=True):
        pii[i] = frag
    closers = _CLOSER_POOL.pick((tt * len(codes.CATEGORIES) + _RC_CATEGORY[rc]) * 2 + lg, u[12])
    descriptions = [
        op + t.format(*r) + x + cl
        for op, t, r, x, cl in zip(
            _OPENER_POOL.pick(g_tt, u[13]),
            _DESCRIPTIONS.pick(g_rc, u[14]),
            rows,
            pii,
            closers,
            strict=True,
        )
    ]
    # Some Chinese customers type without any punctuation.
    for i in np.flatnonzero((u[15] < _NO_PUNCT_RATE) & (lg != _EN)).tolist():
        descriptions[i] = descriptions[i].translate(_NO_PUNCT).strip()

    resolutions: list[str | None] = [
        t.format(*r) + tail if ok else None
        for ok, t, r, tail in zip(
            done.tolist(),
            _RESOLUTIONS.pick(g_rc, u[16]),
            rows,
            _RES_TAIL_POOL.pick(lg, u[17]),
            strict=True,
        )
    ]
    return subjects, descriptions, resolutions


def compose_survey_comments(
    rng: np.random.Generator, *, csat: Sequence[int], languages: Sequence[str]
) -> list[str]:
    """A short customer comment per row, its sentiment matching the CSAT score (1..5)."""
    n = len(csat)
    _check_lengths(n, languages=languages)
    score = np.fromiter(csat, dtype=np.intp, count=n)
    if n and (score.min() < 1 or score.max() > 5):
        bad = sorted(set(score.tolist()) - set(range(1, 6)))
        raise ValueError(f"csat must be 1..5; got {bad}")
    lg = _indices(languages, _LANG_INDEX, "language")
    u = rng.random((2, n))
    return [
        c + t
        for c, t in zip(
            _SURVEY_POOL.pick((score - 1) * 2 + lg, u[0]),
            _SURVEY_TAIL_POOL.pick(_SURVEY_SENTIMENT[score] * 2 + lg, u[1]),
            strict=True,
        )
    ]


# ----------------------------------------------------------------------------- fake PII
# Only ~8 % of rows, so plain Python per row is fine. Each maker takes a 20-digit string and
# two uniforms; ID and bank card numbers carry valid check digits so validators accept them.


def _pii_fragments(rng: np.random.Generator, langs: np.ndarray) -> list[str]:
    k = len(langs)
    hi, lo = rng.integers(0, 10**10, size=(2, k)).tolist()
    u = rng.random((4, k)).tolist()
    out = []
    for i, lang_i in enumerate(langs.tolist()):
        lang = _LANGS[lang_i]
        kinds, cum = _PII_KIND_CUM[lang]
        kind = kinds[min(bisect.bisect(cum, u[0][i]), len(kinds) - 1)]
        maker = _PII_MAKERS[f"address_{lang}" if kind == "address" else kind]
        value = maker(f"{hi[i]:010d}{lo[i]:010d}", u[1][i], u[2][i])
        intros = _PII_INTROS[lang]["mobile" if kind == "intl" else kind]
        out.append(intros[int(u[3][i] * len(intros))].format(x=value))
    return out


_PII_KIND_CUM = {
    lang: (
        tuple(k for k, _ in kinds),
        list(np.cumsum([w for _, w in kinds]) / sum(w for _, w in kinds)),
    )
    for lang, kinds in _PII_KINDS.items()
}


def _mobile(d: str, u: float, v: float) -> str:
    num = f"1{3 + int(d[0]) % 7}{d[1:10]}"
    style = int(u * 5)
    if style == 0:
        return f"{num[:3]} {num[3:7]} {num[7:]}"
    if style == 1:
        return f"{num[:3]}-{num[3:7]}-{num[7:]}"
    if style == 2:
        return ("+86 " if v < 0.5 else "+86-") + num
    return num


def _intl(d: str, u: float, v: float) -> str:
    style = int(u * 4)
    if style == 0:
        return f"+852 {5 + int(d[0]) % 5}{d[1:4]} {d[4:8]}"
    if style == 1:
        return f"+1 ({2 + int(d[0]) % 8}{d[1:3]}) {d[3:6]}-{d[6:10]}"
    if style == 2:
        return f"+44 7{d[0:3]} {d[3:9]}"
    return f"+65 {8 + int(d[0]) % 2}{d[1:4]} {d[4:8]}"


def _email(d: str, u: float, v: float) -> str:
    if u < 0.3:  # QQ-style numeric address
        return f"{1 + int(d[0]) % 9}{d[1 : 6 + int(d[10]) % 5]}@qq.com"
    user = _EMAIL_USERS[int(u * len(_EMAIL_USERS))]
    return f"{user}{d[1 : 1 + int(d[0]) % 4]}@{_EMAIL_DOMAINS[int(v * len(_EMAIL_DOMAINS))]}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_card(d: str, u: float, v: float) -> str:
    """18-digit resident ID number with a valid GB 11643 check digit."""
    month, day = 1 + int(d[0:2]) % 12, 1 + int(d[2:4]) % 28
    body = f"{_ID_AREAS[int(u * len(_ID_AREAS))]}{1960 + int(v * 44)}{month:02d}{day:02d}{d[4:7]}"
    return (
        body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    )


def _bank_card(d: str, u: float, v: float) -> str:
    """16-19 digit card number with a valid Luhn check digit, sometimes grouped by 4."""
    prefix = _CARD_PREFIXES[int(u * len(_CARD_PREFIXES))]
    length = 16 + int(d[0]) % 4
    body = prefix + d[1 : length - len(prefix)]
    total = 0
    for i, ch in enumerate(reversed(body)):
        x = int(ch) * (2 - i % 2)
        total += x - 9 if x > 9 else x
    card = body + str(-total % 10)
    return " ".join(card[j : j + 4] for j in range(0, len(card), 4)) if v < 0.4 else card


def _address_zh(d: str, u: float, v: float) -> str:
    city, district, road = _ZH_PLACES[int(u * len(_ZH_PLACES))]
    flat = f"{1 + int(d[5]) * 3}0{1 + int(d[6]) % 4}室" if v < 0.6 else ""
    return f"{city}{district}{road}{1 + int(d[0:3])}号{1 + int(d[3]) + int(d[4])}栋{flat}"


def _address_en(d: str, u: float, v: float) -> str:
    city, district, road = _EN_PLACES[int(u * len(_EN_PLACES))]
    flat = f"{1 + int(d[5]) * 3}0{1 + int(d[6]) % 4}"
    return f"Room {flat}, No. {1 + int(d[0:3])} {road}, {district}, {city}"


_PII_MAKERS = {
    "mobile": _mobile,
    "intl": _intl,
    "email": _email,
    "id_card": _id_card,
    "bank_card": _bank_card,
    "address_zh": _address_zh,
    "address_en": _address_en,
}
