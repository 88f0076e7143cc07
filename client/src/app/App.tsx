import type { ComponentType } from 'react';
import { I18nProvider } from './i18n.tsx';
import { HomeView } from '../features/home/HomeView.tsx';
import { WallView } from '../features/wall/WallView.tsx';
import { CommandView } from '../features/command/CommandView.tsx';
import { ResponderView } from '../features/responder/ResponderView.tsx';
import { PlannerView } from '../features/planner/PlannerView.tsx';

/** One app, four views; each is a full page, so plain links are the router. */
const ROUTES: Record<string, ComponentType> = {
  '/wall': WallView,
  '/command': CommandView,
  '/responder': ResponderView,
  '/planner': PlannerView,
};

export function App() {
  const path = window.location.pathname.replace(/\/+$/, '') || '/';
  const View = ROUTES[path] ?? HomeView;
  return (
    <I18nProvider>
      <View />
    </I18nProvider>
  );
}
