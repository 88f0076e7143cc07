import { useI18n } from '../../app/i18n.tsx';
import { WALL_LAYER_COLORS, circleColor } from '../../map/wall-layers.ts';
import { LAYER_IDS, type HeatWindow, type WallLayerId } from './settings.ts';
import type { ServiceArea } from './use-map-data.ts';
import { PLANNING_COLORS } from './planning-layers.ts';
import { classRange, type ChoroplethMeasure } from './choropleth.ts';

const rgb = (c: readonly number[] | undefined, a = 1) => !c ? 'transparent' : `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${a})`;

/** One entry per map layer, each a toggle; the swatches use the layers' own colours. */
/** The open operations' figures the legend prints under the operations entry. */
export interface OperationTotals {
  operations: number;
  sites: number;
  verified: number;
}

export function Legend({ layers, onToggle, areas, window, heatMax, detail, operations, planned = 0, choropleth }: {
  layers: Set<WallLayerId>;
  onToggle: (id: WallLayerId) => void;
  areas: ServiceArea[];
  window: HeatWindow;
  heatMax: number;
  detail: boolean;
  operations: OperationTotals;
  planned?: number;
  /** The subdistrict choropleth's measure and class bounds, when it is on. */
  choropleth: { measure: ChoroplethMeasure; breaks: number[]; days: number } | null;
}) {
  const { t, lang } = useI18n();
  const heat = WALL_LAYER_COLORS.heat.slice(1).map((c) => rgb(c, 1)).join(', ');
  const swatch: Record<WallLayerId, React.ReactNode> = {
    heat: <span className="sw sw--heat" style={{ background: `linear-gradient(90deg, ${heat})` }} />,
    cases: (
      <span className="sw-pair">
        <span className="sw sw--dot" style={{ background: rgb(WALL_LAYER_COLORS.newCase) }} />
        <span className="sw sw--dot sw--ring" style={{ background: rgb(WALL_LAYER_COLORS.overdue), borderColor: '#ffc8cd' }} />
      </span>
    ),
    circles: <span className="sw sw--circle" style={{ borderColor: rgb(circleColor(0)), background: 'transparent' }} />,
    parks: <span className="sw sw--square" style={{ background: rgb(WALL_LAYER_COLORS.parkFill, 0.6), borderColor: rgb(WALL_LAYER_COLORS.parkLine) }} />,
    renovation: (
      <span className="sw sw--circle sw--progress" style={{ borderColor: rgb(WALL_LAYER_COLORS.renovation) }}>
        <i style={{ background: rgb(WALL_LAYER_COLORS.renovation) }} />
      </span>
    ),
    whistles: <span className="sw sw--circle" style={{ borderColor: rgb(WALL_LAYER_COLORS.whistle), background: rgb(WALL_LAYER_COLORS.whistle, 0.25) }} />,
    operations: (
      <span className="sw sw--circle sw--progress" style={{ borderColor: rgb(WALL_LAYER_COLORS.operation) }}>
        <i style={{ background: rgb(WALL_LAYER_COLORS.operation) }} />
      </span>
    ),
    complaints: <span className="sw sw--square" style={{ background: rgb(PLANNING_COLORS.complaintGap, 0.45), borderColor: rgb(PLANNING_COLORS.complaintGap) }} />,
  };
  return (
    <aside className="wall-legend" data-testid="wall-legend">
      <h2>{t('wall.legend.title')}</h2>
      {choropleth && (
        <div className="wall-legend__choropleth" data-testid="wall-choropleth-legend" data-measure={choropleth.measure}>
          <div className="wall-legend__label">{t(`wall.legend.choropleth.${choropleth.measure}`)}</div>
          <ol>
            {choropleth.breaks.map((_, i) => {
              const r = classRange(choropleth.breaks, i, choropleth.measure);
              return (
                <li key={i} data-class={i}>
                  <span className="sw sw--square" style={{ background: rgb(WALL_LAYER_COLORS.choropleth[i], WALL_LAYER_COLORS.choropleth[i]![3] / WALL_LAYER_COLORS.choropleth.at(-1)![3]) }} />
                  <span>{r.to === null ? t('wall.legend.choropleth.atLeast', { from: r.from }) : `${r.from}–${r.to}`}</span>
                </li>
              );
            })}
          </ol>
          <em>{t(`wall.legend.choropleth.${choropleth.measure}Unit`, { days: choropleth.days })}</em>
        </div>
      )}
      <ul>
        {LAYER_IDS.map((id) => (
          <li key={id}>
            <button type="button" className={layers.has(id) ? 'is-on' : 'is-off'} aria-pressed={layers.has(id)} data-layer={id} onClick={() => onToggle(id)}>
              {swatch[id]}
              <span className="wall-legend__label">{t(`wall.legend.${id}`, { window: t(`wall.window.${window}`) })}</span>
            </button>
            {id === 'heat' && layers.has(id) && (
              <div className="wall-legend__sub wall-legend__scale" data-testid="wall-heat-scale">
                <span>0</span>
                <span>{heatMax / 2}</span>
                <span>≥{heatMax}</span>
                <em>{t('wall.legend.heatUnit')}</em>
              </div>
            )}
            {id === 'cases' && layers.has(id) && <div className="wall-legend__sub">{t('wall.legend.casesSub')}</div>}
            {id === 'circles' && layers.has(id) && planned > 0 && <div className="wall-legend__sub" data-testid="wall-legend-planned">{t('wall.legend.planned', { n: planned })}</div>}
            {id === 'complaints' && layers.has(id) && <div className="wall-legend__sub">{t('wall.legend.complaintsSub')}</div>}
            {(id === 'renovation' || id === 'circles') && layers.has(id) && !detail && <div className="wall-legend__sub">{t('wall.legend.zoomIn')}</div>}
            {id === 'renovation' && layers.has(id) && detail && <div className="wall-legend__sub">{t('wall.legend.renovationSub')}</div>}
            {id === 'operations' && layers.has(id) && (
              <div className="wall-legend__sub" data-testid="wall-operations-progress">
                {t('wall.legend.operationsProgress', { n: operations.operations, verified: operations.verified, total: operations.sites })}
              </div>
            )}
            {id === 'circles' && layers.has(id) && detail && areas.length > 0 && (
              <div className="wall-legend__sub wall-legend__chips">
                {areas.map((a, i) => (
                  <span key={a.kind}><i style={{ background: rgb(circleColor(i)) }} />{lang === 'en' ? a.name_en : a.name_zh}{a.polygons ? '' : ' ≈1 km'}</span>
                ))}
              </div>
            )}
          </li>
        ))}
      </ul>
    </aside>
  );
}
