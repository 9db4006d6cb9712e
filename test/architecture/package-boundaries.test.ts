/**
 * The arrows between packages (docs/architecture.md, "Packages and the arrows between them"),
 * checked on the source itself: a package imports only the packages it may depend on, by package
 * name (never by a relative path out of its folder), and its package.json declares exactly the
 * third-party packages its production source imports, so a production image carries only what runs.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Which workspace packages each package's production source may import (the allowed arrows). */
const ALLOWED_ARROWS: Record<string, readonly string[]> = {
  '@metering/contract': [],
  '@metering/platform': [],
  '@metering/auth': ['@metering/platform'],
  '@metering/migrations': [],
  '@metering/usage': ['@metering/platform', '@metering/contract', '@metering/migrations'],
  '@metering/billing': ['@metering/platform', '@metering/usage', '@metering/contract', '@metering/migrations'],
  '@metering/dev': ['@metering/platform', '@metering/usage', '@metering/billing', '@metering/contract', '@metering/migrations'],
  '@metering/testing': ['@metering/platform', '@metering/auth', '@metering/usage', '@metering/billing', '@metering/contract', '@metering/migrations', '@metering/dev'],
  '@metering/cli': ['@metering/platform', '@metering/auth', '@metering/usage', '@metering/billing', '@metering/contract'],
  '@metering/api': ['@metering/platform', '@metering/auth', '@metering/usage', '@metering/billing', '@metering/contract'],
  '@metering/worker': ['@metering/platform', '@metering/usage', '@metering/billing', '@metering/contract'],
  '@metering/web': ['@metering/contract'],
};

/** Declared dependencies that production code loads without an import statement, and why. */
const LOADED_WITHOUT_IMPORT: Record<string, readonly string[]> = {
  // TypeORM's postgres driver requires pg itself.
  '@metering/platform': ['pg'],
  // The browser page is built by vite from apps/web; react-dom is imported, react is the JSX runtime.
  '@metering/web': ['react'],
};

interface Workspace {
  name: string;
  dir: string;
  dependencies: Set<string>;
  devDependencies: Set<string>;
}

const rootManifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  workspaces: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

const workspaces: Workspace[] = rootManifest.workspaces.map((relative) => {
  const dir = path.join(ROOT, relative);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    name: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  return {
    name: manifest.name,
    dir,
    dependencies: new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })),
    devDependencies: new Set(Object.keys(manifest.devDependencies ?? {})),
  };
});

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist') return [];
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx|mts|cts)$/.test(entry) && !entry.endsWith('.d.ts') ? [full] : [];
  });
}

/** Production source of a package: `src/`, or every file of a package that has none (migrations). */
function productionFiles(workspace: Workspace): string[] {
  const src = path.join(workspace.dir, 'src');
  const files = sourceFiles(src);
  if (files.length > 0) return files;
  return sourceFiles(workspace.dir).filter((file) => !/[\\/](test|e2e)[\\/]/.test(path.relative(workspace.dir, file)) && !file.endsWith('.config.ts'));
}

const STATIC_IMPORT = /^\s*(?:import|export)\s[^'";()]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Module specifiers of a file's static import/export statements (dynamic `import()` is not one). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(STATIC_IMPORT)].map((match) => (match[1] ?? match[2])!);
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || BUILTINS.has(packageOf(specifier));
const workspaceNames = new Set(workspaces.map((workspace) => workspace.name));

describe('package boundaries', () => {
  it('knows every workspace package (a new package states its arrows here and in docs/architecture.md)', () => {
    expect(workspaces.map((workspace) => workspace.name).filter((name) => !(name in ALLOWED_ARROWS))).toEqual([]);
  });

  it('production source imports only the packages its arrows allow', () => {
    const violations = workspaces.flatMap((workspace) =>
      productionFiles(workspace).flatMap((file) =>
        importsOf(file)
          .filter((specifier) => specifier.startsWith('@metering/'))
          .map(packageOf)
          .filter((target) => target !== workspace.name && !(ALLOWED_ARROWS[workspace.name] ?? []).includes(target))
          .map((target) => `${path.relative(ROOT, file)} imports ${target}`),
      ),
    );
    expect(violations).toEqual([]);
  });

  it('no file reaches into another package by a relative path', () => {
    const packageDirs = workspaces.map((workspace) => workspace.dir);
    const ownerOf = (file: string): string => packageDirs.find((dir) => file.startsWith(`${dir}${path.sep}`)) ?? ROOT;
    const files = [...packageDirs.flatMap(sourceFiles), ...['scripts', 'bench', 'test', 'ops'].flatMap((dir) => sourceFiles(path.join(ROOT, dir)))];
    const violations = files.flatMap((file) => {
      const owner = ownerOf(file);
      return importsOf(file)
        .filter((specifier) => specifier.startsWith('.'))
        .filter((specifier) => {
          const target = path.resolve(path.dirname(file), specifier);
          const targetOwner = ownerOf(target);
          // Root-level folders (scripts, bench, test, ops) may use each other; nothing may reach into a package.
          return targetOwner !== owner && targetOwner !== ROOT ? true : owner !== ROOT && !target.startsWith(`${owner}${path.sep}`);
        })
        .map((specifier) => `${path.relative(ROOT, file)} imports ${specifier}`);
    });
    expect(violations).toEqual([]);
  });

  it('each package declares the third-party packages its production source imports', () => {
    const violations = workspaces.flatMap((workspace) =>
      productionFiles(workspace).flatMap((file) =>
        importsOf(file)
          .filter((specifier) => !specifier.startsWith('.') && !isBuiltin(specifier))
          .map(packageOf)
          .filter((dependency) => !workspace.dependencies.has(dependency))
          .map((dependency) => `${path.relative(ROOT, file)} imports ${dependency}, not in ${workspace.name}'s dependencies`),
      ),
    );
    expect([...new Set(violations)]).toEqual([]);
  });

  it('each package depends only on what its production source imports', () => {
    const unused = workspaces.flatMap((workspace) => {
      const imported = new Set(productionFiles(workspace).flatMap((file) => importsOf(file).map(packageOf)));
      const loaded = new Set(LOADED_WITHOUT_IMPORT[workspace.name] ?? []);
      return [...workspace.dependencies]
        .filter((dependency) => !imported.has(dependency) && !loaded.has(dependency))
        .map((dependency) => `${workspace.name} declares ${dependency} but its source never imports it`);
    });
    expect(unused).toEqual([]);
  });

  it('tests and tools import only packages that are installed for them', () => {
    const rootDeclared = new Set(Object.keys({ ...rootManifest.dependencies, ...rootManifest.devDependencies }));
    const violations = workspaces.flatMap((workspace) => {
      const production = new Set(productionFiles(workspace));
      const declared = new Set([...workspace.dependencies, ...workspace.devDependencies, ...rootDeclared]);
      return sourceFiles(workspace.dir)
        .filter((file) => !production.has(file))
        .flatMap((file) =>
          importsOf(file)
            .filter((specifier) => !specifier.startsWith('.') && !isBuiltin(specifier))
            .map(packageOf)
            .filter((dependency) => !declared.has(dependency) && !workspaceNames.has(dependency))
            .map((dependency) => `${path.relative(ROOT, file)} imports ${dependency}, declared nowhere for it`),
        );
    });
    expect([...new Set(violations)]).toEqual([]);
  });
});
