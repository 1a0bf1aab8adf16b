/**
 * Where registered datasets (data assets) and flows (models) live: a local directory store or
 * an Azure ML workspace. register-if-changed is the same code against either.
 */
export type AssetKind = 'data' | 'model';

export interface AssetVersion {
  kind: AssetKind;
  name: string;
  version: string;
  /** The content hash (docs/content-hash.md) the version was registered with. */
  hash: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  /** Where the registered content is (a local path or an azureml:// URI). */
  uri: string;
  createdAt: string;
}

export interface RegisterRequest {
  kind: AssetKind;
  name: string;
  hash: string;
  /** The file or folder to copy / upload. */
  sourcePath: string;
  /** Relative POSIX paths that the hash covered, in hash order: exactly these are stored. */
  files: string[];
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
}

export interface Registry {
  readonly kind: 'local' | 'azureml';
  /** The newest version by version number, or undefined when the asset has none. */
  latest(kind: AssetKind, name: string): Promise<AssetVersion | undefined>;
  /**
   * Store content and create the next version. When the newest version already has `hash`
   * (another writer won a race), return that version instead of creating one: one content, one
   * version. No version becomes visible before its content is complete.
   */
  register(request: RegisterRequest): Promise<AssetVersion & { created: boolean }>;
}
