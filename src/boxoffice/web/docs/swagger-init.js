// Starts Swagger UI on /docs from a file of our own: the page's Content-Security-Policy allows no
// inline script. The bundle is vendored beside this file (swagger-ui/PINNED), served by this server.

window.ui = SwaggerUIBundle({
  url: document.getElementById('swagger-ui').dataset.openapiUrl,
  dom_id: '#swagger-ui',
  layout: 'BaseLayout',
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // the public validator would be one more outside address
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
