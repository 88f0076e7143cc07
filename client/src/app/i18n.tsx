import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

/**
 * Translations live in `i18n/<language>/<namespace>.json`, one namespace per feature, so
 * features add their strings without touching each other's files. Keys are
 * `<namespace>.<name>` by convention and must be unique across namespaces.
 */
function merge(files: Record<string, Record<string, string>>): Record<string, string> {
  return Object.assign({}, ...Object.values(files));
}
const zhCN = merge(import.meta.glob<Record<string, string>>('./i18n/zh-CN/*.json', { eager: true, import: 'default' }));
const en = merge(import.meta.glob<Record<string, string>>('./i18n/en/*.json', { eager: true, import: 'default' }));

/** Chinese is the default; English is chosen by `?lang=en`, the switch, or a saved choice. */
export const LANGUAGES = { 'zh-CN': zhCN, en } as const;
export type Language = keyof typeof LANGUAGES;
/** A translation key; Chinese holds every key (a test checks English has the same set). */
export type MessageKey = string;

const STORAGE_KEY = 'cityops.lang';

export function initialLanguage(search = window.location.search): Language {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (fromUrl === 'en' || fromUrl === 'zh-CN' || fromUrl === 'zh') return fromUrl === 'en' ? 'en' : 'zh-CN';
  const saved = window.localStorage.getItem(STORAGE_KEY);
  return saved === 'en' ? 'en' : 'zh-CN';
}

/** Looks a key up and fills `{name}` placeholders; a missing key shows itself, never a blank. */
export function translate(lang: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const text = LANGUAGES[lang][key] ?? zhCN[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (_, p: string) => String(params[p] ?? `{${p}}`)) : text;
}

interface I18n {
  lang: Language;
  setLang: (lang: Language) => void;
  t: (key: MessageKey, params?: Record<string, string | number>) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Language>(() => initialLanguage());
  const setLang = useCallback((next: Language) => {
    window.localStorage.setItem(STORAGE_KEY, next);
    document.documentElement.lang = next;
    setLangState(next);
  }, []);
  const value = useMemo<I18n>(() => ({ lang, setLang, t: (key, params) => translate(lang, key, params) }), [lang, setLang]);
  document.documentElement.lang = lang;
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}
