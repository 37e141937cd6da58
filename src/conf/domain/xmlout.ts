// The domain formatter's writer is util/xml's: OutElement trees, with '#raw' nodes for pre-rendered
// lines (verbatim sub-trees such as <metadata> content or unmodelled elements).
import { type OutElement, formatXml } from '../../util/xml.js';

export function renderXml(root: OutElement): string {
  return formatXml(root);
}
