import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './support/paths.js';

/**
 * Every relative link and anchor in the documentation resolves: moving a section between README.md and docs/ must
 * not leave a reader at a missing file or heading. Read as text, as GitHub renders it: code is not Markdown, and a
 * heading's anchor is GitHub's slug of its text.
 */

/** The Markdown files a reader navigates: README.md, the guides in docs/, bench/README.md and the examples' READMEs. */
function documents(root: string): string[] {
  const isFolder = (folder: string): boolean => existsSync(join(root, folder)) && statSync(join(root, folder)).isDirectory();
  const inFolder = (folder: string): string[] =>
    isFolder(folder)
      ? readdirSync(join(root, folder))
          .filter((name) => name.endsWith('.md'))
          .map((name) => join(folder, name))
      : [];
  const examples = isFolder('examples') ? readdirSync(join(root, 'examples')).flatMap((name) => inFolder(join('examples', name))) : [];
  return ['README.md', ...inFolder('docs'), ...inFolder('bench'), ...inFolder('examples'), ...examples].filter((file) =>
    existsSync(join(root, file)),
  );
}

/** The text outside fenced code blocks and inline code spans, line by line (fences' lines left empty). */
function prose(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker?.[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    if (marker) {
      fence = marker;
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, (span) => span.replace(/[[\]()]/g, ' '));
  });
}

/** GitHub's anchor of a heading: lower case, Markdown and punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker?.[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Each relative link of the documents below `root` that leads nowhere: `file:line: target (why)`. */
function brokenLinks(root: string): string[] {
  const broken: string[] = [];
  const anchors = new Map<string, Set<string>>();
  const anchorsIn = (path: string): Set<string> => {
    if (!anchors.has(path)) anchors.set(path, anchorsOf(readFileSync(path, 'utf8')));
    return anchors.get(path)!;
  };
  for (const file of documents(root)) {
    const path = join(root, file);
    prose(readFileSync(path, 'utf8')).forEach((line, index) => {
      for (const [, target] of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not ours to check
        const where = `${file}:${index + 1}: ${target}`;
        const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
        const destination = pathPart === '' ? path : resolve(dirname(path), decodeURIComponent(pathPart));
        if (relative(root, destination).startsWith('..')) {
          broken.push(`${where} (outside the repository)`);
        } else if (!existsSync(destination)) {
          broken.push(`${where} (no such file)`);
        } else if (anchor !== undefined) {
          if (statSync(destination).isDirectory() || !destination.endsWith('.md')) {
            broken.push(`${where} (an anchor into a file that is not Markdown)`);
          } else if (!anchorsIn(destination).has(decodeURIComponent(anchor))) {
            broken.push(`${where} (no such heading)`);
          }
        }
      }
    });
  }
  return broken;
}

describe('documentation links', () => {
  it('every relative link and anchor in README.md, docs/, bench/ and examples/ resolves', () => {
    expect(brokenLinks(ROOT)).toEqual([]);
  });

  it('reads the guides in docs/ (so a guide moved there is checked too)', () => {
    expect(documents(ROOT)).toEqual(expect.arrayContaining(['README.md', join('docs', 'README.md'), join('docs', 'configuration.md')]));
  });

  describe('the check itself', () => {
    let root: string;
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'docs-links-'));
      mkdirSync(join(root, 'docs'));
      mkdirSync(join(root, 'examples/app'), { recursive: true });
      writeFileSync(
        join(root, 'README.md'),
        [
          '# Title',
          '## Errors and what a client sees (`RS256_*`)',
          'See [errors](#errors-and-what-a-client-sees-rs256_), [gone](#no-such-heading), [guide](docs/guide.md#set-up),',
          '[missing guide](docs/missing.md), [wrong anchor](docs/guide.md#tear-down), [site](https://example.com/#x).',
          '```sh',
          '# a shell comment, not a heading: [not a link](nowhere.md)',
          '```',
          'Inline `[code](nowhere.md)` is not a link either; [up](../outside.md) leaves the repository.',
        ].join('\n'),
      );
      writeFileSync(
        join(root, 'docs/guide.md'),
        '# Guide\n\n## Set up\n\n## Set up\n\nBack to [the README](../README.md#title), [twice](#set-up-1).\n',
      );
      writeFileSync(join(root, 'examples/app/README.md'), 'Run it: see [the guide](../../docs/guide.md#set-up-2).\n');
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('names each link to a missing file, heading or place outside the repository, and nothing else', () => {
      expect(brokenLinks(root)).toEqual([
        'README.md:3: #no-such-heading (no such heading)',
        'README.md:4: docs/missing.md (no such file)',
        'README.md:4: docs/guide.md#tear-down (no such heading)',
        'README.md:8: ../outside.md (outside the repository)',
        `${join('examples', 'app', 'README.md')}:1: ../../docs/guide.md#set-up-2 (no such heading)`,
      ]);
    });
  });
});
