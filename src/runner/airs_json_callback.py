# ansible-inspec-rs's stdout callback for ansible-playbook. The Rust runner writes this
# file into its private runtime directory and selects it with ANSIBLE_STDOUT_CALLBACK.
# It prints one tab-separated progress line per task result and, at the end, writes
# every host's task results and stats as JSON to $AIRS_RESULTS_FILE.
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: airs_json
    type: stdout
    short_description: per-host task results as JSON for ansible-inspec-rs
    description:
      - Writes per-host task results to $AIRS_RESULTS_FILE; prints one line per task result.
"""

MESSAGE_MAX = 2000


def _message(res, status):
    if status == "skipped":
        msg = res.get("skip_reason") or res.get("skipped_reason")
    else:
        msg = res.get("msg") or res.get("stderr") or res.get("reason")
        if not msg and status == "failed":
            msg = res.get("stdout") or f"rc={res.get('rc')}"
    if msg is None:
        return None
    return str(msg)[:MESSAGE_MAX]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "airs_json"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._hosts = {}
        self._task_started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started = time.monotonic()

    def _record(self, result, status):
        host = result._host.get_name()
        task = result._task.get_name()
        entry = {
            "task": task,
            "status": status,
            "message": _message(result._result, status),
            "duration": round(time.monotonic() - self._task_started, 6),
        }
        self._hosts.setdefault(host, []).append(entry)
        self._display.display(f"airs\t{host}\t{status}\t{task}")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ok" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        summary = {h: stats.summarize(h) for h in sorted(stats.processed)}
        path = os.environ.get("AIRS_RESULTS_FILE")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"hosts": self._hosts, "stats": summary}, f)
