"""Renders chat-template cases with Python Jinja2 configured as Hugging Face transformers does.

    python3 chat_template_reference.py CASES.json RESULTS.json

CASES.json: {"templates": {name: source}, "now_micros": int, "cases": [{"template": name,
"context": {...}}]}. RESULTS.json: one {"ok": true, "output": str} or {"ok": false, "error": str}
per case, in order. The environment mirrors transformers' chat template compiler:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the loopcontrols and
{% generation %} extensions, a `tojson` filter that is json.dumps(ensure_ascii=False), and the
`raise_exception` and `strftime_now` globals (the clock fixed at now_micros, UTC).
"""
import datetime
import json
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    """transformers' {% generation %} block: renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment(now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return now.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    now = datetime.datetime.fromtimestamp(spec["now_micros"] / 1e6, datetime.timezone.utc)
    now = now.replace(tzinfo=None)  # transformers formats a naive local datetime
    env = make_environment(now)
    compiled = {}
    for name, source in spec["templates"].items():
        try:
            compiled[name] = env.from_string(source)
        except Exception as e:  # a template Jinja2 cannot parse: every case reports it
            compiled[name] = e
    results = []
    for case in spec["cases"]:
        template = compiled[case["template"]]
        try:
            if isinstance(template, Exception):
                raise template
            results.append({"ok": True, "output": template.render(**case["context"])})
        except Exception as e:
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
