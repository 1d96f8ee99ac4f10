"""Errors of the privacy domain."""

from huzhu.errors import Conflict


class ActivitiesRunning(Conflict):
    """Deleting now would strand people: helpers who assisted an activity still running,
    team members waiting on a team, or money of the person's own on hold."""

    code = "activities_running"
    title = "Activities of yours are still running"
