"""The production static-files storage: hashed names, compressed copies, and hashed
names inside JavaScript module imports too.

The live pages are ES modules (static/chat/*.js, static/js/socket.js) served
with a long cache lifetime (deploy/nginx: `expires 30d`). Django's manifest
storage hashes the entry script a template names, but by default leaves
`import ... from "./socket.js"` alone, so a returning browser would pair a new
page script with a month-old module after a deploy. With
`support_js_module_import_aggregation` the imports name hashed files as well.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
