import { useI18n, type MessageKey } from './i18n.tsx';

export function ViewHeader({ titleKey }: { titleKey: MessageKey }) {
  const { t, lang, setLang } = useI18n();
  return (
    <header className="view-header">
      <a className="brand" href="/">{t('app.name')}</a>
      <h1>{t(titleKey)}</h1>
      <button type="button" className="lang-switch" onClick={() => setLang(lang === 'en' ? 'zh-CN' : 'en')}>
        {t('lang.switch')}
      </button>
    </header>
  );
}
