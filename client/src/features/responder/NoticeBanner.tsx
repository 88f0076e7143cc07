import { useI18n } from '../../app/i18n.tsx';

export interface Notice {
  id: number;
  text: string;
}

/** The in-app banner: new summons and what the outbox sent, while the app is open. */
export function NoticeBanner({ notices, onDismiss }: { notices: Notice[]; onDismiss: (id: number) => void }) {
  const { t } = useI18n();
  if (!notices.length) return null;
  return (
    <div className="notice-banner" role="alert" data-testid="notice-banner">
      {notices.map((n) => (
        <p key={n.id}>
          <span>{n.text}</span>
          <button type="button" aria-label={t('responder.dismiss')} onClick={() => onDismiss(n.id)}>
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
