import pytest
from django.utils import translation

from stratmap.core.years import YearError, format_year, to_ad_year


@pytest.mark.parametrize(
    ("given", "expected"),
    [(108, 2019), ("108", 2019), (2019, 2019), ("2019", 2019), ("民國108年", 2019), (1, 1912), (200, 2111)],
)
def test_it_accepts_roc_and_ad_years(given, expected):
    assert to_ad_year(given) == expected


@pytest.mark.parametrize("given", [0, 201, 1911, 2112, -5, "abc", "10.5"])
def test_it_refuses_what_is_not_a_year_and_says_what_it_expects(given):
    with pytest.raises(YearError, match="expected"):
        to_ad_year(given)


def test_years_show_as_roc_years_in_chinese_and_ad_years_in_english():
    with translation.override("zh-hant"):
        assert format_year(2019) == "民國108年"
    with translation.override("en"):
        assert format_year(2019) == "2019"
