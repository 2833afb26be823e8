"""Citation markers you can follow: each [n] in an answer is a link whose hover or focus shows the quote and
its citation line, and whose click shows that answer's source card, scrolled into view and highlighted.

The chat and the source panel are separate Gradio components, so a click travels through a hidden textbox
(#cite-request): the page script writes "answer:n:nonce" into it, the server shows that answer's sources, and
the script then scrolls to the card `src-<answer>-<n>` once it is drawn. On narrow screens each answer also
carries its quotes directly under it (a collapsed list the wide layout hides: the side panel shows them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag import Answer, Citation

from .render import esc

_MARKER = re.compile(r"\\\[(\d+)\\\]")  # a [n] marker after chat_text escaped its brackets


def card_anchor(answer_index: int, n: int | str) -> str:
    return f"src-{answer_index}-{n}"


def link_markers(body: str, answer: Answer, answer_index: int, line: Callable[[Citation], str]) -> str:
    """Turn each escaped [n] of an answer's chat text into a link carrying its quote and citation."""
    citations = {c.n: c for c in answer.citations}

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        citation = citations.get(n)
        if citation is None:
            return f"**[{n}]**"
        tip = f"“{citation.quote.text}” — {line(citation)}"
        return (f'<a class="rag-cite" href="#{card_anchor(answer_index, n)}" title="{esc(tip)}" '
                f'aria-label="Source {n}: {esc(tip)}">[{n}]</a>')

    return _MARKER.sub(link, body)


def inline_sources(answer: Answer, line: Callable[[Citation], str]) -> str:
    """The answer's quotes under it, for narrow screens (CSS hides this where the side panel is in view)."""
    if not answer.citations:
        return ""
    items = "".join(f"<li><b>[{c.n}]</b> “{esc(c.quote.text)}” <i>{esc(line(c))}</i></li>" for c in answer.citations)
    count = len(answer.citations)
    return (f'\n\n<details class="rag-inline-sources"><summary>Sources ({count})</summary>'
            f"<ol>{items}</ol></details>")


CSS = """
a.rag-cite {font-weight: 700; color: #7c2d12; text-decoration: underline; cursor: pointer;
            padding: 0 1px; border-radius: 3px;}  /* AA even under the chatbot's 0.8 opacity */
.dark a.rag-cite {color: #fdba74;}
a.rag-cite:focus-visible {outline: 2px solid var(--color-accent); outline-offset: 1px;}
#rag-tip {position: fixed; z-index: 1000; max-width: min(420px, 90vw); padding: 8px 10px; border-radius: 6px;
          background: #1f2937; color: #fff; font-size: 0.85em; line-height: 1.35; pointer-events: none;
          box-shadow: 0 2px 8px rgba(0, 0, 0, 0.3);}
.rag-card.rag-flash {outline: 3px solid var(--color-accent); outline-offset: 2px;
                     background: var(--color-accent-soft);}
#cite-request {display: none !important;}
.rag-inline-sources {display: none; margin-top: 6px; font-size: 0.9em;}
.rag-inline-sources ol {padding-left: 1.2em; margin: 4px 0;}
@media (max-width: 767px) {.rag-inline-sources {display: block;}}
"""

# Page script: a tooltip for hover and keyboard focus (the title attribute alone does not show on focus),
# and the click that asks the server for an answer's sources, then scrolls to and highlights the card.
SCRIPT = """
<script>
(() => {
  const bots = () => [...document.querySelectorAll('#chat [data-testid="bot"]')];
  let tip = null;
  const showTip = a => {
    if (!tip) { tip = document.createElement('div'); tip.id = 'rag-tip'; tip.setAttribute('role', 'tooltip');
                document.body.appendChild(tip); }
    tip.textContent = a.dataset.tip || a.getAttribute('title') || '';
    if (a.getAttribute('title')) { a.dataset.tip = a.getAttribute('title'); a.removeAttribute('title'); }
    const r = a.getBoundingClientRect();
    tip.style.display = 'block';
    tip.style.left = Math.max(8, Math.min(r.left, window.innerWidth - tip.offsetWidth - 8)) + 'px';
    const below = r.bottom + 6;
    tip.style.top = (below + tip.offsetHeight < window.innerHeight ? below : r.top - tip.offsetHeight - 6) + 'px';
  };
  const hideTip = () => { if (tip) tip.style.display = 'none'; };
  const request = (answer, n) => {
    const box = document.querySelector('#cite-request textarea, #cite-request input');
    if (!box) return;
    box.value = `${answer}:${n}:${Date.now()}`;
    box.dispatchEvent(new Event('input', {bubbles: true}));
    const tab = document.querySelector('button[role=tab][data-tab-id=sources]');
    if (tab && tab.getAttribute('aria-selected') !== 'true') tab.click();
    if (n === '') return;
    const id = `src-${answer}-${n}`;
    const started = Date.now();
    let shown = false;
    const reveal = () => {  // the panel may be redrawn more than once: keep the card marked for a moment
      const card = document.getElementById(id);
      if (card && !card.classList.contains('rag-flash')) {
        document.querySelectorAll('.rag-card.rag-flash').forEach(c => c.classList.remove('rag-flash'));
        card.classList.add('rag-flash');
        card.scrollIntoView({block: 'center'});
        shown = true;
      }
      if (Date.now() - started < (shown ? 3000 : 8000)) setTimeout(reveal, 50);
    };
    reveal();
  };
  document.addEventListener('click', e => {
    const bot = e.target.closest && e.target.closest('#chat [data-testid="bot"]');
    if (!bot) return;
    const answer = bots().indexOf(bot);
    const a = e.target.closest('a.rag-cite');
    if (a) { e.preventDefault(); e.stopPropagation(); hideTip(); request(answer, a.innerText.replace(/\\D/g, '')); }
    else if (!e.target.closest('a, button, summary, details')) request(answer, '');
  }, true);
  for (const [type, show] of [['mouseover', true], ['focusin', true], ['mouseout', false], ['focusout', false]]) {
    document.addEventListener(type, e => {
      const a = e.target.closest && e.target.closest('a.rag-cite');
      if (a) show ? showTip(a) : hideTip();
    });
  }
})();
</script>
"""
