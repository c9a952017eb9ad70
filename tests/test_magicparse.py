"""The %maas grammar, parsed without a shell."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maas_notebook.magicparse import Command, UsageError, parse


def test_handler_action_uri_params_and_pairs():
    command = parse("machine deploy abc123 distro_series=jammy osystem=ubuntu")
    assert command.words == ["machine", "deploy", "abc123"]
    assert command.data == {"distro_series": ["jammy"], "osystem": ["ubuntu"]}
    assert command.verb is None


def test_repeated_keys_become_lists_and_quotes_keep_spaces():
    command = parse("machines read hostname=a hostname=b comment='two words'")
    assert command.data == {"hostname": ["a", "b"], "comment": ["two words"]}


def test_file_pairs_and_cell_body_marker():
    command = parse("machine deploy abc user_data@=/tmp/cloud.yaml")
    assert command.files == {"user_data": "/tmp/cloud.yaml"}
    assert parse("machine deploy abc user_data@=-").files == {"user_data": "-"}


def test_flags():
    command = parse("machines read --raw --output=out.json")
    assert command.raw and command.output == "out.json"
    assert parse("machine deploy --help").help
    assert parse("machine deploy x --form").form
    assert parse("machines read --output out.json").output == "out.json"


def test_verbs_are_recognised():
    assert parse("login admin http://h:5240/MAAS -").verb == "login"
    assert parse("profiles").verb == "profiles"
    assert parse("").words == [] and parse("").verb is None


def test_values_may_contain_equals_signs():
    assert parse("maas set_config name=x value=a=b").data["value"] == ["a=b"]


@pytest.mark.parametrize("line, message", [
    ("machines read comment='open", "quotes"),
    ("machines read --bogus", "unknown option"),
    ("machines read --output", "needs a file name"),
    ("machine deploy user_data@=", "needs a file path"),
    ("machine deploy =x", "malformed pair"),
    ("machines read a=1 extra", "comes after key=value"),
    ("machine deploy x user_data=a user_data@=b", "both"),
])
def test_mistakes_are_one_line_usage_errors(line, message):
    with pytest.raises(UsageError, match=message) as caught:
        parse(line)
    assert "\n" not in str(caught.value)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_line_parses_or_raises_usage_error(line):
    try:
        result = parse(line)
    except UsageError:
        return
    assert isinstance(result, Command)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["machine", "deploy", "a=b", "k@=p", "--raw", "'x y'", "=",
                                 "--output", "\"", "@=", "k=", "--form", "x=y=z", "\\"]), max_size=8))
def test_token_soup_parses_or_raises_usage_error(tokens):
    try:
        parse(" ".join(tokens))
    except UsageError:
        pass
