"""Naming rules, TTL parsing and expiry arithmetic of personal dev stacks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mlops.devstacks.names import (
    DevStackError,
    check_personal_stack_name,
    expiry,
    format_timestamp,
    parse_timestamp,
    parse_ttl,
    personal_stack_name,
)


@pytest.mark.parametrize(
    ("owner", "slug", "expected"),
    [
        ("alice", None, "dev-alice"),
        ("alice", "exp1", "dev-alice-exp1"),
        ("b0b", "churn-v2", "dev-b0b-churn-v2"),
        ("al", "x", "dev-al-x"),
    ],
)
def test_name_is_dev_owner_and_optional_slug(owner, slug, expected):
    assert personal_stack_name(owner, slug) == expected


@pytest.mark.parametrize(
    "owner", ["Alice", "1alice", "al_ice", "mary-jane", "a", "a" * 21, "", "al ice", "alicé"]
)
def test_owner_is_2_to_20_lowercase_letters_and_digits_starting_with_a_letter(owner):
    with pytest.raises(DevStackError, match="owner"):
        personal_stack_name(owner, None)


@pytest.mark.parametrize("slug", ["1st", "Exp", "exp_1", "exp-", "ex--p", "e" * 17, ""])
def test_slug_is_up_to_16_lowercase_characters_starting_with_a_letter(slug):
    with pytest.raises(DevStackError, match="slug"):
        personal_stack_name("alice", slug)


def test_whole_name_is_at_most_40_characters():
    owner = "a" * 20
    assert len(personal_stack_name(owner, "b" * 15)) == 40
    with pytest.raises(DevStackError, match="41 characters; the limit is 40"):
        personal_stack_name(owner, "b" * 16)


@pytest.mark.parametrize("name", ["dev", "test", "prod"])
def test_shared_stacks_are_refused_by_name(name):
    with pytest.raises(DevStackError, match="shared stack"):
        check_personal_stack_name(name)


@pytest.mark.parametrize(
    "name", ["staging", "dev-", "dev-Alice", "prod-alice", "dev_alice", "dev-a", "dev-alice-", "dev-" + "a" * 21]
)
def test_non_personal_names_are_refused(name):
    with pytest.raises(DevStackError, match="not a personal dev stack name"):
        check_personal_stack_name(name)


@pytest.mark.parametrize("name", ["dev-alice", "dev-alice-exp1", "dev-bob2-churn-v2"])
def test_personal_names_pass_the_check(name):
    check_personal_stack_name(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("72h", timedelta(hours=72)),
        ("3d", timedelta(days=3)),
        (" 14d ", timedelta(days=14)),
        ("1m", timedelta(minutes=1)),
    ],
)
def test_ttl_accepts_minutes_hours_and_days(text, expected):
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["", "3w", "1.5h", "h", "-1h", "72", "3 d", "3D"])
def test_ttl_rejects_other_shapes(text):
    with pytest.raises(DevStackError, match="use a whole number followed by m, h or d"):
        parse_ttl(text)


def test_ttl_of_zero_is_refused():
    with pytest.raises(DevStackError, match="longer than zero"):
        parse_ttl("0h")


@pytest.mark.parametrize("text", ["15d", "337h", "20161m", "99999999999999d"])
def test_ttl_is_capped_at_14_days(text):
    with pytest.raises(DevStackError, match="maximum is 14d"):
        parse_ttl(text)


def test_expiry_adds_the_ttl_in_utc_to_the_second(now):
    assert expiry(now, parse_ttl("72h")) == datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    in_paris = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    assert expiry(in_paris, parse_ttl("90m")) == datetime(2026, 11, 22, 10, 30, tzinfo=timezone.utc)


def test_expiry_needs_an_aware_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        expiry(datetime(2026, 11, 22, 9, 0), timedelta(hours=1))


def test_timestamps_round_trip_as_iso_8601_utc(now):
    assert format_timestamp(now) == "2026-11-22T09:00:00Z"
    assert parse_timestamp("2026-11-22T09:00:00Z") == now
    assert parse_timestamp("2026-11-22T11:00:00+02:00") == now


@pytest.mark.parametrize("text", [None, "", "next tuesday", "2026-11-22T09:00:00"])
def test_unreadable_or_zoneless_timestamps_are_unknown(text):
    assert parse_timestamp(text) is None
