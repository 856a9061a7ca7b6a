"""Word lists behind personal-name detection (tools/pii/names.py). Shipped as code so masking
works offline with nothing to download.

Sources: the most common Chinese surnames (the 2020 census top 120 plus common compound
surnames), their pinyin spellings, and common English given names (US SSA top names of recent
decades). Names that are also everyday words (Will, May, Mark, Grant, ...) are kept apart: they
count as a name only beside a surname, a title or a cue.
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


ZH_SURNAMES_SINGLE = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余于杜叶程"
    "苏魏吕丁任沈姚卢傅钟姜崔谭陆汪范廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝"
    "顾龚邵万覃武钱戴严欧莫孔向常汤康易乔赖文施洪辛柯庄葛阎颜樊牛齐翟殷倪靳蓝甘温芦季车詹"
    "郁申鲁焦左关包宁柳祝管霍卓卞骆游裴"
)
ZH_SURNAMES_COMPOUND = _words(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 端木 南宫 西门 轩辕"
)
# Surname characters that are far more often ordinary words in complaint text; they need a
# title or cue beside them (马上, 方便, 高兴, 万一, 向 ... 反映, 于是, 上门, 常常, 文件 ...).
ZH_SURNAMES_WEAK = frozenset("马方高万向于常文金石白江安龙关易齐车包宁管游牛温甘左申季")

# Titles after a surname (or a full name): 王师傅, 张伟先生, 李女士, 陈经理, 刘工.
ZH_TITLES = (
    "先生",
    "女士",
    "小姐",
    "师傅",
    "经理",
    "老师",
    "工程师",
    "主任",
    "主管",
    "总监",
    "阿姨",
    "大哥",
    "大姐",
    "同学",
    "律师",
    "医生",
    "警官",
    "老板",
    "总",
    "工",
    "姐",
    "哥",
)
# Words right before a name: 客户张三, 联系人：李四, 我叫王五.
ZH_CUES = (
    "联系人",
    "投诉人",
    "收件人",
    "收货人",
    "申请人",
    "经办人",
    "负责人",
    "持卡人",
    "客户",
    "用户",
    "顾客",
    "业主",
    "姓名",
    "名字",
    "我叫",
    "叫做",
    "本人",
    "我是",
    "技术员",
    "工程师",
    "维修工",
    "安装工",
    "快递员",
    "送货员",
    "客服",
    "专员",
    "经理",
    "主管",
    "师傅",
    "家属",
    "找",
    "联系",
    "转告",
    "问问",
    "维修员",
    "安装员",
    "技师",
    "户名",
    "开户名",
    "我妈",
    "我爸",
    "母亲",
    "父亲",
    "老婆",
    "老公",
    "爱人",
    "妻子",
    "丈夫",
    "儿子",
    "女儿",
    "叫",
    "让",
    "请",
    "和",
)
# Characters that end a given name's span: a name is followed by these, not made of them.
ZH_NOT_GIVEN = frozenset(
    "的了是在和跟与也都就又还把被给让向对要会能说问讲来去到打找反映投诉处理已未不没很太说这那"
    "上下中里外前后天年日号元台次个些位先女小师经老工总姐哥电话手机微信邮箱地址一二三四五六七八九十"
    "，。！？、：；,.!?:; \n"
)
# jieba tags these dictionary words nr though they are not names in complaint text.
ZH_NR_STOP = _words(
    "师傅 谢谢 高达 马达 金刚 安卓 方太 格力 海尔 美的 小米 华为 苏宁 京东 江南 温馨 "
    "向上 于是 常规 文明 石英 白板 龙头 关机 安装 易用 万家乐 史密斯 林内 老板 东方 "
    "欧派 安吉尔 车主 包装 宁愿 管道 游戏 牛逼 温度 甘心 左右 季度 申请 金额 高温 马桶 "
    "方便 万能 龙门 白色 金色 石头 顾客"
)

PINYIN_SURNAMES = _words(
    """
    Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Zhu Hu Guo Lin Luo Gao Zheng
    Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Yuan Pan Cai Jiang Yu Du
    Ye Cheng Su Wei Lyu Lv Ding Ren Shen Yao Lu Fu Zhong Cui Tan Wan Fan Liao Shi Jin Jia Xia
    Zou Xiong Bai Meng Qin Qiu Hou Yin Xue Yan Duan Lei Long Tao Mao Hao Gu Gong Shao Qian Dai
    Kong Chang Kang Qiao Lai Zhuang Ouyang Situ Zhuge Shangguan Sima Murong
    """
)

# Unambiguous English given names (a capitalised one of these is a name on its own).
EN_FIRST_NAMES = _words(
    """
    James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
    Matthew Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald
    Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott
    Brandon Benjamin Samuel Gregory Alexander Patrick Raymond Dennis Jerry Tyler Aaron Jose
    Adam Nathan Henry Douglas Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith
    Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan Jesse Bryan Billy
    Bruce Gabriel Joe Logan Alan Juan Albert Willie Elijah Wayne Randy Vincent Liam Roy Ralph
    Bobby Russell Bradley Philip Eugene Louis Harry Oliver Lucas Mason Aiden Jackson Sebastian
    Owen Luke Isaac Leo Julian Levi Caleb Nolan Hudson Ian Colin Trevor Marcus Derek Travis
    Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
    Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah
    Stephanie Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna
    Pamela Nicole Samantha Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine
    Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn
    Judith Andrea Hannah Megan Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann
    Kathryn Abigail Sophia Frances Jean Alice Judy Isabella Julia Denise Beverly Danielle
    Marilyn Charlotte Natalie Theresa Diana Brittany Doris Kayla Alexis Lori Marie Ava Mia
    Harper Ella Chloe Zoe Nora Hazel Aria Scarlett Layla Penelope Riley Stella Aurora Lucy
    Claire Sophie Naomi Alicia Tiffany Vanessa Monica Erica Jasmine Wendy Fiona Grace Irene
    Amy Tracy Tina Cindy Kevin Tony Jack Jimmy Vicky Peggy Jenny Annie Sally Lily Ivy Coco
    Eileen Elaine Winnie Yvonne Gigi Vivian Sherry Cathy Sandy Jackie Alvin Eddie Kenny Danny
    Johnny Tommy Simon Vincent Jerry Andy Leon Ken Ben Sam Tom Tim Jim Dan Ed Ted Fred Steve
    Mike Dave Chris Matt Nick Alex Josh Jon Rob Greg Jeff Ray Ron Dean Sean Rick
    """
)
# Given names that are also common English words: a name only with a surname, title or cue.
EN_AMBIGUOUS_FIRST_NAMES = _words(
    """
    Will May June Mark Bill Grant Rose Amber April Frank Max Art Pat Sue Dawn Joy Hope Faith
    Iris Penny Ruby Holly Angel Chase Hunter Summer Autumn Brooke Rich Don Gene Guy Jack Lee
    Ivy Lily Grace Sandy Carol Jean Ann Bob Kay Skip Buck Sky Rusty Cash Royal Precious
    """
)
# Capitalised words that follow a cue ("I am", "this is") but are not names.
EN_NOT_NAMES = _words(
    """
    I A An The This That These Those It Its We You He She They My Your Our Their His Her
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April
    June July August September October November December Very Not Still Just Really So
    Customer Service Support Team Company Bank Manager Agent Technician Engineer Street Road
    Avenue Lane Drive Order Ticket Case Please Thanks Thank Hello Hi Dear Regards Sincerely
    China Chinese English America American Shanghai Beijing Shenzhen Guangzhou Hangzhou
    Amazon Apple Samsung Haier Midea Gree Xiaomi Huawei Wells Fargo Chase Citibank Equifax
    Experian TransUnion Visa Mastercard PayPal CFPB Bureau Credit Card Account Loan Mortgage
    Sorry Yes No OK Okay Also And But Or If When After Before Since Because Today Tomorrow
    Yesterday Home Room Unit Apt Flat Suite District City Floor Building Block
    """
)
