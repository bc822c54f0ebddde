/**
 * Writes data/{train,valid,test}.txt, the corpus that the port trains on when
 * no `--data DIR` is given: the prose of this repository's own docs/*.md
 * (code blocks, tables and headings dropped), one paragraph per line, words
 * and punctuation separated by spaces, numbers as `N` and rare words as
 * `<unk>` (wikitext-2's conventions). Every 10th line goes to valid, every
 * 10th after that to test. The text is the project's own, under its licence.
 *
 *   pnpm exec tsx examples/word-language-model/make-data.ts
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const docs = new URL('../../docs/', import.meta.url);
const out = new URL('./data/', import.meta.url);
const paragraphs: string[] = [];
for (const f of readdirSync(docs).filter((n) => n.endsWith('.md')).sort()) {
  let inCode = false;
  let para: string[] = [];
  const flush = () => { if (para.length > 0) paragraphs.push(para.join(' ')); para = []; };
  for (const line of readFileSync(new URL(f, docs), 'utf8').split('\n')) {
    if (line.trimStart().startsWith('```')) { inCode = !inCode; flush(); continue; }
    if (inCode || line.startsWith('#') || line.startsWith('|') || line.trim() === '') { flush(); continue; }
    para.push(line.trim());
  }
  flush();
}
const tokenize = (p: string): string[] =>
  p.replace(/`|\*|\[|\]\([^)]*\)/g, ' ').toLowerCase().match(/[a-z][a-z'-]*|\d[\d.,]*|[.,;:!?()]/g)?.map((w) => (/^\d/.test(w) ? 'N' : w)) ?? [];
const lines = paragraphs.map(tokenize).filter((ws) => ws.length >= 5);
const counts = new Map<string, number>();
for (const ws of lines) for (const w of ws) counts.set(w, (counts.get(w) ?? 0) + 1);
const text = (ws: string[]) => ` ${ws.map((w) => ((counts.get(w) ?? 0) >= 2 ? w : '<unk>')).join(' ')} `;
const split: Record<'train' | 'valid' | 'test', string[]> = { train: [], valid: [], test: [] };
lines.forEach((ws, i) => split[i % 20 === 9 ? 'valid' : i % 20 === 19 ? 'test' : 'train'].push(text(ws)));
for (const [name, ls] of Object.entries(split)) writeFileSync(new URL(`${name}.txt`, out), `${ls.join('\n')}\n`);
