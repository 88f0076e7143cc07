import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import zhCN from './i18n/zh-CN.json';
import en from './i18n/en.json';

/** Chinese is the default; English is chosen by `?lang=en`, the switch, or a saved choice. */
export const LANGUAGES = { 'zh-CN': zhCN, en } as const;
export type Language = keyof typeof LANGUAGES;
export type MessageKey = keyof typeof zhCN;

const STORAGE_KEY = 'cityops.lang';

export function initialLanguage(search = window.location.search): Language {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (fromUrl === 'en' || fromUrl === 'zh-CN' || fromUrl === 'zh') return fromUrl === 'en' ? 'en' : 'zh-CN';
  const saved = window.localStorage.getItem(STORAGE_KEY);
  return saved === 'en' ? 'en' : 'zh-CN';
}

/** Looks a key up and fills `{name}` placeholders; a missing key shows itself, never a blank. */
export function translate(lang: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const table = LANGUAGES[lang] as Record<string, string>;
  const text = table[key] ?? (zhCN as Record<string, string>)[key] ?? key;
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
