import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.join(import.meta.dirname, 'i18n');
const load = (lang: string) =>
  Object.fromEntries(
    readdirSync(path.join(dir, lang)).map((f) => [f, JSON.parse(readFileSync(path.join(dir, lang, f), 'utf8')) as Record<string, string>]),
  );

describe('translation files', () => {
  const zh = load('zh-CN');
  const en = load('en');

  it('have the same namespaces and keys in Chinese and English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const ns of Object.keys(zh)) expect(Object.keys(en[ns]!).sort(), ns).toEqual(Object.keys(zh[ns]!).sort());
  });

  it('never define one key in two namespaces', () => {
    const seen = new Map<string, string>();
    for (const [ns, table] of Object.entries(zh)) {
      for (const key of Object.keys(table)) {
        expect(seen.get(key), `${key} in ${ns} and ${seen.get(key)}`).toBeUndefined();
        seen.set(key, ns);
      }
    }
  });

  it('have no empty strings and the same placeholders in both languages', () => {
    for (const ns of Object.keys(zh)) {
      for (const [key, text] of Object.entries(zh[ns]!)) {
        const other = en[ns]![key]!;
        expect(text.trim(), key).not.toBe('');
        expect(other.trim(), key).not.toBe('');
        const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
        expect(placeholders(other), key).toEqual(placeholders(text));
      }
    }
  });
});
