import { useI18n, type MessageKey } from '../../app/i18n.tsx';
import { ViewHeader } from '../../app/ViewHeader.tsx';
import { DistrictMap } from '../district/DistrictMap.tsx';
import { SessionLine } from '../auth/auth.tsx';

const VIEWS: { path: string; title: MessageKey; blurb: MessageKey }[] = [
  { path: '/wall', title: 'nav.wall', blurb: 'home.wall' },
  { path: '/command', title: 'nav.command', blurb: 'home.command' },
  { path: '/responder', title: 'nav.responder', blurb: 'home.responder' },
  { path: '/planner', title: 'nav.planner', blurb: 'home.planner' },
];

export function HomeView() {
  const { t } = useI18n();
  return (
    <div className="view view--home">
      <ViewHeader titleKey="app.tagline" />
      <SessionLine />
      <ul className="home-cards">
        {VIEWS.map((v) => (
          <li key={v.path}>
            <a href={v.path + window.location.search}>
              <strong>{t(v.title)}</strong>
              <span>{t(v.blurb)}</span>
            </a>
          </li>
        ))}
      </ul>
      <DistrictMap />
    </div>
  );
}
