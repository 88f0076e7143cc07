import { useI18n } from '../../app/i18n.tsx';
import './exports.css';

/**
 * A download of what a panel shows, as the server exports it (the browser saves the file under
 * the name the server gives). A plain link, so it works without script and on any screen.
 */
export function ExportLink({ href, labelKey, testId }: { href: string; labelKey: string; testId?: string }) {
  const { t } = useI18n();
  return (
    <a className="export-link" href={href} download data-testid={testId}>
      {t(labelKey)}
    </a>
  );
}
