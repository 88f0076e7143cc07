import { useMemo } from 'react';
import type { FeatureCollection, Position } from 'geojson';
import { useI18n } from '../../app/i18n.tsx';
import type { WallCase, WallSummary } from './use-wall-live.ts';

interface Projected {
  paths: { id: number; d: string }[];
  project: (lng: number, lat: number) => [number, number];
  width: number;
  height: number;
}

/** Subdistrict outlines projected (equirectangular, scaled by cos φ) into an SVG box. */
function projectSubdistricts(fc: FeatureCollection | null): Projected | null {
  if (!fc || !fc.features.length) return null;
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as Position;
      w = Math.min(w, x!); e = Math.max(e, x!); s = Math.min(s, y!); n = Math.max(n, y!);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  for (const f of fc.features) if (f.geometry && 'coordinates' in f.geometry) visit(f.geometry.coordinates);
  if (!Number.isFinite(w)) return null;
  const k = Math.cos((((s + n) / 2) * Math.PI) / 180);
  const height = 200;
  const width = Math.max(60, Math.round((height * (e - w) * k) / (n - s || 1)));
  const pad = 6;
  const project = (lng: number, lat: number): [number, number] => [
    pad + ((lng - w) / (e - w || 1)) * (width - 2 * pad),
    pad + ((n - lat) / (n - s || 1)) * (height - 2 * pad),
  ];
  const ring = (r: Position[]) => r.map((p, i) => `${i ? 'L' : 'M'}${project(p[0]!, p[1]!).map((v) => v.toFixed(1)).join(',')}`).join('') + 'Z';
  const paths = fc.features.map((f) => {
    const g = f.geometry;
    const polys: Position[][][] = g?.type === 'Polygon' ? [g.coordinates] : g?.type === 'MultiPolygon' ? g.coordinates : [];
    return { id: Number(f.properties?.id ?? f.id), d: polys.flatMap((p) => p.map(ring)).join('') };
  });
  return { paths, project, width, height };
}

function hhmm(iso: string): string {
  return new Date(iso).toLocaleTimeString('zh-CN', { hour12: false, hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Shanghai' });
}

/**
 * The case inset: an urgent case's place, time, category, priority, department and status,
 * with a small map of the district marking where it is. The main map does not move for it.
 */
export function CaseInset({ kase, alarm, queued, summary, subdistricts }: { kase: WallCase; alarm: boolean; queued: number; summary: WallSummary | null; subdistricts: FeatureCollection | null }) {
  const { t, lang } = useI18n();
  const proj = useMemo(() => projectSubdistricts(subdistricts), [subdistricts]);
  const sub = summary?.subdistricts.find((s) => s.id === kase.subdistrict_id);
  const dep = kase.department_id != null ? summary?.departments.find((d) => d.id === kase.department_id) : undefined;
  const depName = lang === 'en' ? kase.department_en ?? dep?.name_en : kase.department_zh ?? dep?.name_zh;
  const place = [sub ? (lang === 'en' ? sub.name_en : sub.name_zh) : null, kase.address].filter(Boolean).join(' · ');
  const [x, y] = proj ? proj.project(kase.lng, kase.lat) : [0, 0];
  return (
    <aside className={`wall-inset ${alarm ? 'wall-inset--alarm' : ''}`} data-testid="wall-inset" data-case-id={kase.id}>
      <header className="wall-inset__head">
        <span className="wall-inset__prio">{t(`wall.priority.${kase.priority}`)}</span>
        <strong className="wall-inset__cat">{(lang === 'en' ? kase.category_name_en : kase.category_name_zh) ?? kase.category}</strong>
        <span className="wall-inset__id">#{kase.id}</span>
      </header>
      <div className="wall-inset__body">
        {proj && (
          <svg className="wall-inset__map" viewBox={`0 0 ${proj.width} ${proj.height}`} role="img" aria-label={place}>
            {proj.paths.map((p) => (
              <path key={p.id} d={p.d} className={p.id === kase.subdistrict_id ? 'is-here' : ''} />
            ))}
            <circle cx={x} cy={y} r={9} className="wall-inset__ring" />
            <circle cx={x} cy={y} r={4.5} className="wall-inset__dot" />
          </svg>
        )}
        <dl className="wall-inset__facts">
          <dt>{t('wall.inset.place')}</dt>
          <dd>{place || '—'}</dd>
          <dt>{t('wall.inset.time')}</dt>
          <dd>{hhmm(kase.reported_at)}</dd>
          <dt>{t('wall.inset.department')}</dt>
          <dd>{depName ?? t('wall.inset.unassigned')}</dd>
          <dt>{t('wall.inset.status')}</dt>
          <dd>{t(`wall.status.${kase.status}`)}</dd>
        </dl>
      </div>
      {queued > 0 && <footer className="wall-inset__more">{t('wall.inset.more', { n: queued })}</footer>}
    </aside>
  );
}
