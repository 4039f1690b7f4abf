"""What the survey capability needs from storage: surveys with their events, the person-level rules (last
surveyed, unsubscribed), and the survey report's counters."""

from __future__ import annotations

import abc
from collections.abc import Mapping

from chalicelib.domain.surveys import SurveyChange, SurveyState

SurveyRow = tuple[str, str, str]  # (dimension, day, group)


class SurveyStore(abc.ABC):
    @abc.abstractmethod
    def survey(self, tenant_id: str, survey_id: str) -> SurveyState | None: ...

    @abc.abstractmethod
    def lead_surveys(self, tenant_id: str, lead_id: str) -> list[SurveyState]: ...

    @abc.abstractmethod
    def save_survey_change(self, change: SurveyChange, expected_version: int | None,
                           effects: Mapping[str, object] | None = None, sent_to: str | None = None,
                           not_since: str | None = None) -> None:
        """The survey (new, or at its version) and its events, the last of which carries ``effects``.

        ``sent_to`` (a person's hash) records the sending for the interval rule in the same write, refused
        (``ConcurrentUpdate``) when that person was surveyed at or after ``not_since``.
        """

    @abc.abstractmethod
    def last_surveyed(self, tenant_id: str, person: str) -> str | None: ...

    @abc.abstractmethod
    def unsubscribed(self, tenant_id: str, person: str) -> bool: ...

    @abc.abstractmethod
    def unsubscribe(self, tenant_id: str, person: str, at: str, survey_id: str) -> bool:
        """Every later survey of the tenant passes this person by; False when they had unsubscribed already."""

    @abc.abstractmethod
    def add_report_once(self, mark: str, tenant_id: str, rows: Mapping[SurveyRow, Mapping[str, int]]) -> bool: ...

    @abc.abstractmethod
    def report_rows(self, tenant_id: str, dim: str, from_day: str, to_day: str
                    ) -> list[tuple[str, str, dict[str, int]]]:
        """(day, group, counters) of one dimension's rows in the range."""
