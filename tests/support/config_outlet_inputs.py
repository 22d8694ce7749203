"""Failing inputs of the sink, ping and metrics sections (``test_config`` checks each field has
one). A secret's value is never shown in a problem: ``(hidden)`` stands for it."""

from __future__ import annotations

DAILY = "daily_observability_report"
JOBS = "(jobs: daily_observability_report, weekly_observability_report, weekly_improvement_digest)"
LABEL = "is not a label value (1–64 of A–Z a–z 0–9 _ . : -)"
SECRET_URL = "hooks.example/T000/B000/" + "x" * 24  # no scheme: not a URL

OUTLET_FAILING_INPUTS = [
    ({"slack": "https://hooks.example/x"}, "slack: (hidden) is not a JSON object"),
    ({"webhook": ["x"]}, 'webhook: ["x"] is not a JSON object'),
    ({"pings": True}, "pings: true is not a JSON object"),
    ({"metrics": 9464}, "metrics: 9464 is not a JSON object"),
    ({"slack": {"webhookUrl": SECRET_URL}}, "slack.webhookUrl: (hidden) is not an http(s) URL"),
    ({"slack": {"webhookUrl": 5}}, "slack.webhookUrl: (hidden) is not a string"),
    (
        {"slack": {"jobs": ["daily"]}},
        f'slack.jobs[0]: "daily" is not a job {JOBS}',
    ),
    (
        {"slack": {"jobs": ["daily_observabilty_report"]}},
        f'slack.jobs[0]: "daily_observabilty_report" is not a job; did you mean "{DAILY}"? {JOBS}',
    ),
    (
        {"slack": {"jobs": [DAILY, DAILY]}},
        f'slack.jobs: ["{DAILY}", "{DAILY}"] names a job more than once',
    ),
    ({"slack": {"maxRetrySeconds": 0}}, "slack.maxRetrySeconds: 0 must be greater than 0"),
    ({"webhook": {"url": "ftp://x.example/hook"}}, "webhook.url: (hidden) is not an http(s) URL"),
    (
        {"webhook": {"secret": "short"}},
        (
            "webhook.secret: (hidden) is not a signing secret (at least 16 characters, no "
            "surrounding spaces)"
        ),
    ),
    ({"webhook": {"jobs": "all"}}, 'webhook.jobs: "all" is not a list'),
    (
        {"webhook": {"maxRetrySeconds": 90000}},
        "webhook.maxRetrySeconds: 90000 must be at most 86400",
    ),
    (
        {"pings": {"service": "cronitor.io"}},
        (
            'pings.service: "cronitor.io" is not allowed (use "healthchecks", "cronitor" or '
            '"uptime-kuma")'
        ),
    ),
    ({"pings": {"url": "not a url"}}, "pings.url: (hidden) is not an http(s) URL"),
    (
        {"pings": {"jobs": {DAILY: "hc-ping.example/uuid"}}},
        f"pings.jobs.{DAILY}: (hidden) is not an http(s) URL",
    ),
    (
        {"pings": {"jobs": {"weekly_observability_report": 1}}},
        "pings.jobs.weekly_observability_report: (hidden) is not a string",
    ),
    (
        {"pings": {"jobs": {"weekly_improvement_digest": "//x"}}},
        "pings.jobs.weekly_improvement_digest: (hidden) is not an http(s) URL",
    ),
    ({"pings": {"jobs": []}}, "pings.jobs: [] is not a JSON object"),
    ({"pings": {"timeoutSeconds": 61}}, "pings.timeoutSeconds: 61 must be at most 60"),
    ({"pings": {"retries": 6}}, "pings.retries: 6 must be at most 5"),
    (
        {"metrics": {"textfile": "metrics.txt"}},
        (
            'metrics.textfile: "metrics.txt" is not a .prom file (node_exporter\'s textfile '
            "collector reads *.prom)"
        ),
    ),
    ({"metrics": {"textfile": ""}}, 'metrics.textfile: "" is not a path (a non-empty string)'),
    (
        {"metrics": {"pushgateway": "http://pg:9091"}},
        "metrics.pushgateway: (hidden) is not a JSON object",
    ),
    (
        {"metrics": {"pushgateway": {"url": "pg:9091"}}},
        "metrics.pushgateway.url: (hidden) is not an http(s) URL",
    ),
    (
        {"metrics": {"pushgateway": {"job": "ops schedule"}}},
        f'metrics.pushgateway.job: "ops schedule" {LABEL}',
    ),
    (
        {"metrics": {"pushgateway": {"instance": "a/b"}}},
        f'metrics.pushgateway.instance: "a/b" {LABEL}',
    ),
    (
        {"metrics": {"pushgateway": {"timeoutSeconds": -1}}},
        "metrics.pushgateway.timeoutSeconds: -1 must be greater than 0",
    ),
]
