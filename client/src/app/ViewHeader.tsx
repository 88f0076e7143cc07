import type { ReactNode } from 'react';
import { useI18n, type MessageKey } from './i18n.tsx';

/** The top bar of a desk view; `children` (status, who) sit between the title and the language switch. */
export function ViewHeader({ titleKey, children }: { titleKey: MessageKey; children?: ReactNode }) {
  const { t, lang, setLang } = useI18n();
  return (
    <header className="view-header">
      <a className="brand" href="/">{t('app.name')}</a>
      <h1>{t(titleKey)}</h1>
      {children}
      <button type="button" className="lang-switch" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>
        {t('lang.switch')}
      </button>
    </header>
  );
}
