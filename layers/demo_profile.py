"""Who and where the demo is about: the demo district, its organizations' codes and the
names its generated content uses.

Two profiles exist. ``SYNTHETIC`` is the invented Xihu district (330106) the test database
is built on; ``XIACHENG`` is the real former 下城区 (330103, 2020 statistical codes, before
Hangzhou's 2021 re-division), used by ``load_demo`` with the real boundary files or, without
them, on generated boundaries (see :mod:`layers.demo_areas`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    key: str
    district: str  # code of the demo district
    district_name: str
    district_name_en: str
    org_prefix: str  # district organizations: <prefix>-CGJ, <prefix>-YLJ ...
    address_prefix: str  # 杭州市西湖区
    tree_tag_prefix: str  # tag numbers of ancient trees
    first_street: str  # street_admin's street
    first_community: str  # community_worker's community
    roads: tuple[str, ...]  # names for the streets the generators draw

    @property
    def street_office_prefix(self) -> str:
        return f"{self.org_prefix}-JD-"

    def org(self, code: str) -> str:
        """An organization code of the synthetic profile (XH-...) in this profile."""
        if code.startswith("XH-"):
            return f"{self.org_prefix}-{code[3:]}"
        return code

    def street_office(self, area_code: str) -> str:
        """The street office (organization code) of a street or community."""
        return self.street_office_prefix + area_code[6:9]


SYNTHETIC = Profile(
    key="synthetic",
    district="330106",
    district_name="西湖区",
    district_name_en="Xihu District",
    org_prefix="XH",
    address_prefix="杭州市西湖区",
    tree_tag_prefix="杭西古",
    first_street="330106001",
    first_community="330106001001",
    roads=(),  # component_catalog.demo's own Xihu names
)

# Real roads of the former Xiacheng District (names only; the demo draws its own courses
# where no road file is at hand).
XIACHENG_ROADS = (
    "中山北路",
    "延安路",
    "建国北路",
    "体育场路",
    "凤起路",
    "庆春路",
    "环城北路",
    "文晖路",
    "朝晖路",
    "潮王路",
    "德胜路",
    "绍兴路",
    "东新路",
    "石桥路",
    "华丰路",
    "新市街",
    "香积寺路",
    "上塘路",
    "河东路",
    "白石路",
    "长庆街",
    "武林路",
    "孩儿巷",
    "西湖文化广场",
    "焦家村",
    "新天地街",
)

XIACHENG = Profile(
    key="xiacheng",
    district="330103",
    district_name="下城区",
    district_name_en="Xiacheng District",
    org_prefix="XC",
    address_prefix="杭州市下城区",
    tree_tag_prefix="杭下古",
    first_street="330103009",  # 石桥街道
    first_community="330103009002",  # 华丰社区
    roads=XIACHENG_ROADS,
)

# English names (pinyin, as on bilingual signs) of what the Xiacheng demo shows.
ENGLISH_NAMES = {
    "杭州市": "Hangzhou",
    "上城区": "Shangcheng District",
    "下城区": "Xiacheng District",
    "江干区": "Jianggan District",
    "拱墅区": "Gongshu District",
    "西湖区": "Xihu District",
    "滨江区": "Binjiang District",
    "萧山区": "Xiaoshan District",
    "余杭区": "Yuhang District",
    "富阳区": "Fuyang District",
    "临安区": "Lin'an District",
    "桐庐县": "Tonglu County",
    "淳安县": "Chun'an County",
    "建德市": "Jiande City",
    "长庆街道": "Changqing Subdistrict",
    "武林街道": "Wulin Subdistrict",
    "天水街道": "Tianshui Subdistrict",
    "潮鸣街道": "Chaoming Subdistrict",
    "朝晖街道": "Zhaohui Subdistrict",
    "文晖街道": "Wenhui Subdistrict",
    "东新街道": "Dongxin Subdistrict",
    "石桥街道": "Shiqiao Subdistrict",
}
