import { DistrictMap } from '../district/DistrictMap.tsx';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import { useI18n } from '../../app/i18n.tsx';

export function CommandView() {
  const { t } = useI18n();
  return (
    <div className="view view--command">
      <ViewHeader titleKey="nav.command" />
      <p className="view-note">{t('view.placeholder')}</p>
      <DistrictMap />
    </div>
  );
}
