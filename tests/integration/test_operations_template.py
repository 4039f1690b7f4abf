"""What operators get from the template: a dashboard of the product's health, alarms with somewhere to go, and
every function's logs kept for a set time (cfn-lint checks the whole packaged template in `make package`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.json"


def _resources() -> dict[str, Any]:
    return dict(json.loads(TEMPLATE.read_text())["Resources"])


def _dashboard_metrics() -> list[tuple[str, str]]:
    body = json.loads(_resources()["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    return [(row[0], row[1]) for widget in body["widgets"] for row in widget["properties"]["metrics"]]


def test_the_dashboard_shows_traffic_hand_overs_breaches_gaps_surveys_the_stream_errors_and_durations():
    shown = _dashboard_metrics()
    for metric in ("PageViews", "LeadsCreated", "HandoversAccepted", "HandoversDeclined", "SlaBreaches", "Gaps",
                   "SurveyAnswers", "ContactDisputes"):
        assert ("Leadtrail", metric) in shown, metric
    for namespace, metric in (("AWS/Lambda", "IteratorAge"), ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Duration"),
                              ("AWS/SQS", "ApproximateNumberOfMessagesVisible"), ("AWS/ApiGateway", "5XXError")):
        assert (namespace, metric) in shown, metric
    body = _resources()["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    functions = [name for name, resource in _resources().items() if resource["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 5
    assert all(body.count(f"${{{function}}}") >= 2 for function in functions), "errors and p99 for every function"


def test_every_alarm_the_operators_page_explains_exists_and_notifies_the_alarm_topic():
    resources = _resources()
    alarms = {name: resource for name, resource in resources.items() if resource["Type"] == "AWS::CloudWatch::Alarm"}
    assert {"Api5xxAlarm", "ChangeStreamIteratorAgeAlarm", "ChangeStreamFailuresAlarm", "TimerFailuresAlarm",
            "GapsAlarm", "TenantGapsAlarm", "ContactDisputesAlarm"} <= set(alarms)
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms.values())
    readme = (TEMPLATE.parents[1] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in alarms), "each alarm has a line on the operator's page"


def test_every_function_keeps_its_logs_for_the_set_time():
    resources = _resources()
    functions = [name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function"]
    groups = {json.dumps(resource["Properties"]["LogGroupName"]): resource["Properties"]
              for resource in resources.values() if resource["Type"] == "AWS::Logs::LogGroup"}
    for function in functions:
        group = groups[json.dumps({"Fn::Sub": f"/aws/lambda/${{{function}}}"})]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, function


def test_a_firewall_rate_limits_each_client_address_and_each_sites_pixel_and_answers_429():
    resources = _resources()
    rules = {rule["Name"]: rule for rule in resources["ApiFirewall"]["Properties"]["Rules"]}
    assert rules["PerAddress"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    per_site = rules["PixelPerSite"]["Statement"]["RateBasedStatement"]
    assert per_site["CustomKeys"][0]["QueryArgument"]["Name"] == "site"
    assert per_site["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/t.gif"
    assert all(rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429 for rule in rules.values())
    association = resources["ApiFirewallAssociation"]["Properties"]
    assert "${RestAPI}/stages/api" in association["ResourceArn"]["Fn::Sub"]
