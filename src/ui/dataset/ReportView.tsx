// The ingestion report: what was stored, and every skipped item with its reason. All text is
// rendered as React text nodes — file names and captions are never interpreted as HTML.
import type { IngestReport } from '../../storage/datasets';
import { formatCount, formatDuration } from '../common/format';
import { plural } from '../train/ticks';

function Issues({ title, testId, count, items }: { title: string; testId: string; count: number; items: string[] }) {
  if (count === 0) return null;
  return (
    <details className="report-issues" data-testid={testId} open={count <= 10}>
      <summary>
        {title}: <span data-testid={`${testId}-count`}>{formatCount(count)}</span>
      </summary>
      <ul>
        {items.map((t, i) => (
          <li key={i}>{t}</li>
        ))}
        {count > items.length && <li className="muted">… and {formatCount(count - items.length)} more</li>}
      </ul>
    </details>
  );
}

export function ReportView({ report }: { report: IngestReport }) {
  const hist = Object.entries(report.captionsPerImage).sort((a, b) => Number(a[0]) - Number(b[0]));
  return (
    <section className="report" data-testid="ingest-report">
      <h3>Import report</h3>
      <dl className="stats">
        <dt>Images</dt>
        <dd data-testid="report-images">{formatCount(report.images)}</dd>
        <dt>Captions</dt>
        <dd data-testid="report-captions">{formatCount(report.captions)}</dd>
        <dt>Format</dt>
        <dd data-testid="report-format">{report.format}</dd>
        <dt>Caption file</dt>
        <dd data-testid="report-caption-file" title={report.captionFileReason}>
          {report.captionFile}
        </dd>
        <dt>Vocabulary</dt>
        <dd data-testid="report-vocab">{formatCount(report.vocabularySize)} words</dd>
        <dt>Splits</dt>
        <dd data-testid="report-splits">
          train {formatCount(report.splitCounts.train)} · val {formatCount(report.splitCounts.val)} · test{' '}
          {formatCount(report.splitCounts.test)}{' '}
          <span className="muted">
            (
            {report.splitSource === 'split-lists'
              ? 'official split lists'
              : report.splitSource === 'caption-column'
                ? 'split column'
                : 'seeded 80/10/10 by image'}
            )
          </span>
          {!!report.splitListAbsent && (
            <span className="muted" data-testid="report-split-absent">
              {' '}
              · the split lists name {plural(report.splitListAbsent, 'image')} absent from the folder
            </span>
          )}
          {!!report.splitNotInLists && (
            <span className="muted" data-testid="report-split-unlisted">
              {' '}
              · {plural(report.splitNotInLists, 'image')} not in any list went to train
            </span>
          )}
        </dd>
        <dt>Captions per image</dt>
        <dd data-testid="report-histogram">{hist.map(([k, v]) => `${k}: ${formatCount(v)}`).join(' · ')}</dd>
        <dt>Time</dt>
        <dd>
          {formatDuration(report.seconds)} ({report.imagesPerSecond.toFixed(1)} images/s)
        </dd>
      </dl>
      <p className="muted">{report.captionFileReason}</p>
      <Issues
        title="Unreadable or corrupt images (skipped)"
        testId="report-corrupt"
        count={report.corrupt.length}
        items={report.corrupt.map((c) => `${c.name}: ${c.reason}`)}
      />
      <Issues
        title="Captions naming images not in the folder (skipped)"
        testId="report-missing"
        count={report.missingImageCaptions}
        items={report.missingImages.map((m) => `${m.file} line ${m.line}: ${m.image}`)}
      />
      <Issues
        title="Images without captions (skipped)"
        testId="report-uncaptioned"
        count={report.imagesWithoutCaptions.length}
        items={report.imagesWithoutCaptions.slice(0, 200)}
      />
      <Issues
        title="Malformed caption lines (skipped)"
        testId="report-parse-issues"
        count={report.parseIssueCount}
        items={report.parseIssues.map((p) => `${p.file} line ${p.line}: ${p.message}`)}
      />
      <Issues
        title="Duplicate image names (first kept)"
        testId="report-duplicates"
        count={report.duplicates.length}
        items={report.duplicates.slice(0, 200)}
      />
      <Issues
        title="Other files ignored"
        testId="report-ignored"
        count={report.ignored.length}
        items={report.ignored.slice(0, 200).map((i) => `${i.name}: ${i.reason}`)}
      />
      <Issues
        title="Other caption files not used"
        testId="report-other-caption-files"
        count={report.otherCaptionFiles.length}
        items={report.otherCaptionFiles.map((o) => `${o.file}: ${o.reason}`)}
      />
    </section>
  );
}
