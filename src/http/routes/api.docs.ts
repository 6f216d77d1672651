import type { RouteDoc } from '../openapi.js'
import { caseDocs, peopleDocs } from './cases.docs.js'
import { channelDocs } from './channels.docs.js'
import { consoleDocs } from './console.docs.js'
import { gridsDocs } from './grids.docs.js'
import { mapDocs } from './map.docs.js'
import { featureDocs, integrationDocs, platformDocs } from './platform.docs.js'
import { pollsDocs } from './polls.docs.js'
import { shopDocs } from './shop.docs.js'
import { volunteerDocs } from './volunteers.docs.js'

/** The RouteDocs of every route module `buildRouters` mounts. */
export const apiRouteDocs: readonly RouteDoc[] = [
  ...platformDocs,
  ...featureDocs,
  ...caseDocs,
  ...peopleDocs,
  ...gridsDocs,
  ...mapDocs,
  ...integrationDocs,
  ...consoleDocs,
  ...channelDocs,
  ...pollsDocs,
  ...shopDocs,
  ...volunteerDocs,
]
