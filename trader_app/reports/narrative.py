"""The weekly report's written summary from an OpenAI-compatible model (optional).

The prompt is built from the report's **numbers only** (:func:`numbers_only`): per currency the metrics of
``PERIOD_METRIC_KEYS``, the count of trades won and lost, the signals' outcome counts and the number of risk
events and rejections. No account name or id, no symbol, no group name, no error text leaves the machine.
The prompt is kept in the report (shown on its page) so the trader sees exactly what was sent.

Wire format: the Chat Completions API (``POST {base_url}/chat/completions``,
https://platform.openai.com/docs/api-reference/chat/create) through the official ``openai`` client library
(the optional extra ``narrative``), which any OpenAI-compatible server (a local model, a proxy) accepts. The
API key lives in the OS keyring (``reports:narrative_api_key``) and is handed to the client only.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)

KEY_SECRET = "reports:narrative_api_key"
SYSTEM_PROMPT = ("You write the short weekly summary of a trader's results for the trader. Use only the numbers "
                 "given. Four to six plain sentences: what the week returned, where the drawdown was, how the "
                 "trades went, how the signals were executed, any risk event. No advice, no predictions.")
TIMEOUT_S = 60.0


def numbers_only(report: dict[str, Any]) -> dict[str, Any]:
    """The part of ``report`` a model may see: numbers and the period, nothing that names an account,
    instrument, group or person."""
    sections = []
    for s in report["sections"]:
        sections.append({"currency": s["currency"], "metrics": s["metrics"], "trades_won": s["trades_won"],
                         "trades_lost": s["trades_lost"]})
    sig = report["signals"]
    return {
        "period": report["period"],
        "start": report["start"],
        "end": report["end"],
        "accounts": len(report["accounts"]),
        "sections": sections,
        "signals": {"received": sig["received"], "duplicates": sig["duplicates"], "outcomes": sig["outcomes"]},
        "kill_switch_trips": sum(1 for e in report["risk_events"] if e["kind"] == "kill_switch_tripped"),
        "rejected_orders": len(report["rejections"]),
    }


def build_prompt(report: dict[str, Any]) -> str:
    """The user message: a one-line request and the numbers as JSON (keys sorted, 2-space indent)."""
    return ("Summarise this trading week for the trader from these numbers (JSON; money in each section's "
            "currency, *_pct in percent):\n" + json.dumps(numbers_only(report), indent=2, sort_keys=True))


async def write_narrative(report: dict[str, Any], *, base_url: str, model: str, api_key: str,
                          client: Any = None) -> dict[str, Any] | None:
    """``{"model", "prompt", "text"}`` from the model, or None when the ``openai`` library is missing, the
    server cannot be reached or answers an error (logged without the key). ``client``: an
    ``openai.AsyncOpenAI`` to use (tests)."""
    prompt = build_prompt(report)
    try:
        import openai
    except ImportError:
        log.warning("the weekly narrative needs the openai library (pip install 'trader-app[narrative]'); "
                    "the template summary is used")
        return None
    own = client is None
    if own:
        client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=TIMEOUT_S, max_retries=2)
    try:
        answer = await client.chat.completions.create(
            model=model, messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}])
        text = (answer.choices[0].message.content or "").strip()
    except openai.OpenAIError as exc:
        log.warning("the weekly narrative was not written: %s", type(exc).__name__)
        return None
    except (IndexError, AttributeError):
        log.warning("the weekly narrative was not written: the model's answer has no message")
        return None
    finally:
        if own:
            await client.close()
    if not text:
        return None
    return {"model": model, "prompt": f"[system] {SYSTEM_PROMPT}\n[user] {prompt}", "text": text}
