import { DistrictMap } from '../district/DistrictMap.tsx';
import { ViewHeader } from '../../app/ViewHeader.tsx';

/** The operations-center wall (3840×2160). */
export function WallView() {
  return (
    <div className="view view--wall">
      <ViewHeader titleKey="nav.wall" />
      <DistrictMap />
    </div>
  );
}
