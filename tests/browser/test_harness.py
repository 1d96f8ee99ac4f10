"""The checks every page visit runs do bite: a page made wider than the screen, a script
error and an axe-core critical violation each fail the check, and a page reached but
never checked fails the test's end."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser.conftest import AXE_RULES, Look, Person


def test_a_clean_page_passes_and_a_page_is_unchecked_until_checked(
    look: Look, people: Callable[..., Person]
) -> None:
    person = people("clean")
    person.goto("/signin")
    assert person.checked == ["/signin"]
    person.page.goto(person.url("/"))  # around the harness: nothing checked it yet
    assert person.unchecked == [person.url("/")]
    person.check()
    assert person.unchecked == []


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (
            "document.body.append(Object.assign(document.createElement('div'),"
            " {style: 'width: 2000px; height: 1px'}))",
            "px wide on a",
        ),
        ("console.error('broken on purpose')", "console errors"),
        (
            "document.body.append(Object.assign(document.createElement('img'),"
            " {src: '/favicon.ico'}))",
            "image-alt",
        ),
    ],
    ids=["overflow", "console-error", "axe-critical"],
)
def test_a_faulty_page_fails_the_check(
    look: Look, people: Callable[..., Person], fault: str, said: str
) -> None:
    person = people("faulty")
    person.goto("/signin")
    person.page.evaluate(f"() => {{ {fault}; }}")
    with pytest.raises(AssertionError, match=said):
        person.check()
    person.console_errors.clear()  # this test's own fault, not the page's


def test_the_check_runs_every_rule_that_can_find_a_serious_or_critical_fault(
    look: Look, people: Callable[..., Person]
) -> None:
    """The check runs axe-core's default rules less those that can only find minor or
    moderate faults, which could never fail it."""
    person = people("rules")
    person.goto("/signin")
    rules = set(person.page.evaluate(f"() => ({AXE_RULES})()"))
    serious = {"color-contrast", "image-alt", "label", "link-name", "button-name"}
    assert serious | {"html-has-lang", "document-title", "aria-valid-attr", "list"} <= rules
    assert not {"region", "landmark-one-main", "heading-order", "page-has-heading-one"} & rules
    # Rules axe.run leaves off by default stay off (AAA contrast, target size).
    assert not {"color-contrast-enhanced", "target-size"} & rules
