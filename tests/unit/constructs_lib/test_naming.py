import pytest

from constructs_lib.naming import aws_name


def test_short_names_are_kept_verbatim() -> None:
    assert aws_name("ecs-blue-green-dev", "blue", max_length=32) == "ecs-blue-green-dev-blue"
    assert aws_name("ecs-blue-green-dev", max_length=32) == "ecs-blue-green-dev"


@pytest.mark.parametrize("suffix", ["blue", "green", ""])
def test_long_names_fit_and_stay_stable(suffix: str) -> None:
    prefix = "a-very-long-project-name-for-testing-prod"
    name = aws_name(prefix, suffix, max_length=32)
    assert len(name) <= 32
    assert name == aws_name(prefix, suffix, max_length=32)
    assert name.endswith(suffix)
    assert not name.startswith("-")
    assert "--" not in name


def test_long_names_stay_distinct() -> None:
    a = aws_name("a-very-long-project-name-for-testing-prod", "blue", max_length=32)
    b = aws_name("a-very-long-project-name-for-testing-prod", "green", max_length=32)
    c = aws_name("a-very-long-project-name-for-testing-dev", "blue", max_length=32)
    assert len({a, b, c}) == 3


def test_impossible_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        aws_name("prefix", "x" * 40, max_length=32)
