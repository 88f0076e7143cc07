import { DistrictMap } from '../district/DistrictMap.tsx';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import { useI18n } from '../../app/i18n.tsx';

export function ResponderView() {
  const { t } = useI18n();
  return (
    <div className="view view--responder">
      <ViewHeader titleKey="nav.responder" />
      <p className="view-note">{t('view.placeholder')}</p>
      <DistrictMap />
    </div>
  );
}
