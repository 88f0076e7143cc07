import { useState, type ChangeEvent } from 'react';
import { useI18n } from '../../app/i18n.tsx';
import { compressPhoto } from './photo.ts';

/** One action carries at most this many photos (the server's limit for reports and sites). */
export const MAX_PHOTOS = 6;

export interface PickedPhoto {
  blob: Blob;
  url: string;
}

/**
 * Photos from the phone's camera or gallery, compressed as soon as they are picked (they wait in
 * the outbox as small blobs), with a thumbnail each. The parent owns the list so it can send it.
 */
export function PhotoPicker({ photos, onChange, onBusy, testId }: { photos: PickedPhoto[]; onChange: (next: PickedPhoto[]) => void; onBusy?: (busy: boolean) => void; testId: string }) {
  const { t } = useI18n();
  const [busy, setBusyState] = useState(false);
  // The parent keeps its send button off while photos are still being compressed.
  const setBusy = (b: boolean) => {
    setBusyState(b);
    onBusy?.(b);
  };
  const [error, setError] = useState<string | undefined>(undefined);

  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])].slice(0, MAX_PHOTOS - photos.length);
    e.target.value = '';
    setBusy(true);
    setError(undefined);
    try {
      const small = await Promise.all(files.map(compressPhoto));
      onChange([...photos, ...small.map((blob) => ({ blob, url: URL.createObjectURL(blob) }))]);
    } catch {
      setError(t('responder.photoUnreadable'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="report-form__photos">
        {photos.map((p, i) => (
          <img key={p.url} src={p.url} alt={t('responder.photoN', { n: i + 1 })} data-testid={`${testId}-photo`} data-bytes={p.blob.size} />
        ))}
        {photos.length < MAX_PHOTOS ? (
          <label className="photo-pick">
            {busy ? t('responder.compressing') : t('responder.addPhoto')}
            <input type="file" accept="image/*" capture="environment" multiple data-testid={`${testId}-file`} onChange={(e) => void pick(e)} disabled={busy} />
          </label>
        ) : null}
      </div>
      {error ? <p className="auth-error">{error}</p> : null}
    </>
  );
}

/** Frees the thumbnails' object URLs once the photos are queued or dropped. */
export function releasePhotos(photos: PickedPhoto[]): void {
  photos.forEach((p) => URL.revokeObjectURL(p.url));
}
