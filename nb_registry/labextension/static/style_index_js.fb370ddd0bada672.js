"use strict";
(self["rspackChunknb_registry"] = self["rspackChunknb_registry"] || []).push([["style_index_js"], {
"./node_modules/css-loader/dist/cjs.js!./style/base.css"(module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  "default": () => (__rspack_default_export)
});
/* import */ var _node_modules_css_loader_dist_runtime_sourceMaps_js__rspack_import_0 = __webpack_require__("./node_modules/css-loader/dist/runtime/sourceMaps.js");
/* import */ var _node_modules_css_loader_dist_runtime_sourceMaps_js__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_node_modules_css_loader_dist_runtime_sourceMaps_js__rspack_import_0);
/* import */ var _node_modules_css_loader_dist_runtime_api_js__rspack_import_1 = __webpack_require__("./node_modules/css-loader/dist/runtime/api.js");
/* import */ var _node_modules_css_loader_dist_runtime_api_js__rspack_import_1_default = /*#__PURE__*/__webpack_require__.n(_node_modules_css_loader_dist_runtime_api_js__rspack_import_1);
// Imports


var ___CSS_LOADER_EXPORT___ = _node_modules_css_loader_dist_runtime_api_js__rspack_import_1_default()((_node_modules_css_loader_dist_runtime_sourceMaps_js__rspack_import_0_default()));
// Module
___CSS_LOADER_EXPORT___.push([module.id, `/* nb-registry: sidebar and pages. Colours come from the JupyterLab theme variables. */

.nbr-sidebar,
.nbr-page {
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
  overflow: auto;
}

.nbr-sidebar {
  display: flex;
  flex-direction: column;
  min-width: 240px;
}

.nbr-sidebar-header {
  display: flex;
  align-items: center;
  justify-content: space-between;
  padding: 6px 8px 2px 12px;
}

.nbr-sidebar-header h2 {
  font-size: var(--jp-ui-font-size2);
  font-weight: 600;
  margin: 0;
  text-transform: uppercase;
  letter-spacing: 0.04em;
}

.nbr-icon-button {
  background: none;
  border: none;
  cursor: pointer;
  padding: 2px;
}

.nbr-tabs {
  display: flex;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
  padding: 0 8px;
}

.nbr-tab {
  background: none;
  border: none;
  border-bottom: 2px solid transparent;
  color: var(--jp-ui-font-color2);
  cursor: pointer;
  padding: 6px 10px;
  font-size: var(--jp-ui-font-size1);
}

.nbr-tab.nbr-mod-active {
  border-bottom-color: var(--jp-brand-color1);
  color: var(--jp-ui-font-color0);
  font-weight: 600;
}

.nbr-search {
  margin: 8px 8px 4px;
  width: calc(100% - 16px);
  box-sizing: border-box;
}

.nbr-sidebar-body {
  flex: 1 1 auto;
  overflow: auto;
  padding: 0 0 8px;
}

.nbr-sidebar-body h4 {
  margin: 12px 12px 4px;
  color: var(--jp-ui-font-color2);
  font-weight: 600;
}

.nbr-sidebar-body > div > .nbr-button {
  margin: 8px 12px;
}

.nbr-sidebar-footer {
  border-top: var(--jp-border-width) solid var(--jp-border-color2);
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  overflow: hidden;
  padding: 4px 12px;
  text-overflow: ellipsis;
  white-space: nowrap;
}

.nbr-list {
  list-style: none;
  margin: 0;
  padding: 0;
}

.nbr-list > li {
  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);
  padding: 6px 12px;
}

.nbr-clickable {
  cursor: pointer;
}

.nbr-list > li.nbr-clickable:hover,
tr.nbr-clickable:hover {
  background: var(--jp-layout-color2);
}

.nbr-row-title {
  display: flex;
  justify-content: space-between;
  gap: 8px;
}

.nbr-name {
  font-weight: 600;
  color: var(--jp-ui-font-color0);
}

.nbr-count,
.nbr-project {
  color: var(--jp-ui-font-color2);
  font-size: var(--jp-ui-font-size0);
  margin-left: 6px;
}

.nbr-collection-row {
  display: flex;
  justify-content: space-between;
}

.nbr-description {
  color: var(--jp-ui-font-color2);
  margin: 2px 0;
}

.nbr-chips {
  display: flex;
  flex-wrap: wrap;
  gap: 4px;
  margin-top: 4px;
}

.nbr-chip {
  border-radius: 10px;
  display: inline-block;
  font-size: var(--jp-ui-font-size0);
  line-height: 16px;
  margin-right: 2px;
  padding: 0 7px;
  white-space: nowrap;
}

.nbr-chip-alias {
  background: var(--jp-brand-color3);
  color: var(--jp-brand-color0, #0d47a1);
  border: 1px solid var(--jp-brand-color2);
}

.nbr-chip-tag {
  background: var(--jp-layout-color2);
  border: 1px solid var(--jp-border-color1);
  color: var(--jp-ui-font-color1);
  cursor: pointer;
}

.nbr-chip-state {
  background: var(--jp-layout-color3);
}

.nbr-type-group > summary {
  cursor: pointer;
  font-weight: 600;
  padding: 6px 12px;
  text-transform: capitalize;
}

.nbr-filter {
  padding: 2px 12px 6px;
}

.nbr-empty {
  color: var(--jp-ui-font-color2);
  font-style: italic;
  padding: 0 12px;
}

.nbr-error,
.nbr-message-error {
  color: var(--jp-error-color1);
}

.nbr-message-ok {
  color: var(--jp-success-color1);
}

.nbr-message {
  min-height: 1.4em;
  padding: 2px 0;
}

.nbr-link-button {
  background: none;
  border: none;
  color: var(--jp-content-link-color);
  cursor: pointer;
  font-size: inherit;
  padding: 0 4px;
  text-decoration: underline;
}

/* pages in the main area */
.nbr-page {
  padding: 12px 20px 32px;
  box-sizing: border-box;
}

.nbr-page-header h2 {
  font-size: var(--jp-content-font-size4, 1.4em);
  margin: 4px 0 6px;
}

.nbr-kicker {
  color: var(--jp-ui-font-color2);
  font-weight: 400;
}

.nbr-actions {
  background: var(--jp-layout-color2);
  border: var(--jp-border-width) solid var(--jp-border-color2);
  border-radius: 4px;
  margin: 12px 0;
  padding: 8px 12px;
}

.nbr-form {
  align-items: center;
  display: flex;
  flex-wrap: wrap;
  gap: 6px;
  margin: 4px 0;
}

.nbr-form > label:first-child {
  color: var(--jp-ui-font-color2);
  min-width: 3.5em;
}

.nbr-button {
  height: 26px;
  line-height: 26px;
  padding: 0 10px;
  cursor: pointer;
}

.nbr-button:not(.jp-mod-accept) {
  background: var(--jp-layout-color3);
}

.nbr-button:disabled {
  cursor: default;
  opacity: 0.5;
}

.nbr-button.nbr-small {
  height: 22px;
  line-height: 22px;
  font-size: var(--jp-ui-font-size0);
}

.nbr-select,
.nbr-input.jp-mod-styled {
  background: var(--jp-input-background);
  border: var(--jp-border-width) solid var(--jp-input-border-color);
  border-radius: var(--jp-border-radius);
  box-sizing: border-box;
  color: var(--jp-ui-font-color0);
  font-size: var(--jp-ui-font-size1);
  height: 26px;
  max-width: 100%;
  padding: 0 6px;
}

.nbr-wide {
  min-width: 22em;
}

.nbr-narrow {
  width: 6em;
}

.nbr-use-line {
  background: var(--jp-cell-editor-background);
  border: var(--jp-border-width) solid var(--jp-cell-editor-border-color);
  border-radius: 3px;
  font-family: var(--jp-code-font-family);
  padding: 3px 8px;
}

.nbr-section {
  margin: 16px 0;
}

.nbr-section h3,
.nbr-card h3 {
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);
  font-size: var(--jp-ui-font-size2);
  margin: 0 0 8px;
  padding-bottom: 4px;
}

.nbr-card-body {
  max-width: 60em;
}

.nbr-card-editor {
  font-family: var(--jp-code-font-family);
  width: 100%;
  box-sizing: border-box;
}

.nbr-field {
  display: block;
  margin: 6px 0;
}

.nbr-field > input,
.nbr-field > textarea {
  display: block;
  margin-top: 2px;
}

.nbr-table {
  border-collapse: collapse;
  width: 100%;
}

.nbr-table th {
  color: var(--jp-ui-font-color2);
  font-weight: 600;
  text-align: left;
  white-space: nowrap;
}

.nbr-table th,
.nbr-table td {
  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);
  padding: 4px 8px;
  vertical-align: top;
}

.nbr-table td.nbr-meta {
  font-family: var(--jp-code-font-family);
  font-size: var(--jp-code-font-size);
}

tr.nbr-mod-selected {
  background: var(--jp-brand-color3);
}

.nbr-scroll-x {
  overflow-x: auto;
}

.nbr-facts {
  display: grid;
  grid-template-columns: max-content auto;
  gap: 2px 12px;
}

.nbr-facts dt {
  color: var(--jp-ui-font-color2);
}

.nbr-facts dd {
  margin: 0;
  word-break: break-all;
}

.nbr-lineage {
  display: flex;
  flex-direction: column;
}

.nbr-graph {
  border: var(--jp-border-width) solid var(--jp-border-color2);
  flex: 1 1 auto;
  min-height: 360px;
}
`, "",{"version":3,"sources":["webpack://./style/base.css"],"names":[],"mappings":"AAAA,sFAAsF;;AAEtF;;EAEE,mCAAmC;EACnC,+BAA+B;EAC/B,kCAAkC;EAClC,cAAc;AAChB;;AAEA;EACE,aAAa;EACb,sBAAsB;EACtB,gBAAgB;AAClB;;AAEA;EACE,aAAa;EACb,mBAAmB;EACnB,8BAA8B;EAC9B,yBAAyB;AAC3B;;AAEA;EACE,kCAAkC;EAClC,gBAAgB;EAChB,SAAS;EACT,yBAAyB;EACzB,sBAAsB;AACxB;;AAEA;EACE,gBAAgB;EAChB,YAAY;EACZ,eAAe;EACf,YAAY;AACd;;AAEA;EACE,aAAa;EACb,mEAAmE;EACnE,cAAc;AAChB;;AAEA;EACE,gBAAgB;EAChB,YAAY;EACZ,oCAAoC;EACpC,+BAA+B;EAC/B,eAAe;EACf,iBAAiB;EACjB,kCAAkC;AACpC;;AAEA;EACE,2CAA2C;EAC3C,+BAA+B;EAC/B,gBAAgB;AAClB;;AAEA;EACE,mBAAmB;EACnB,wBAAwB;EACxB,sBAAsB;AACxB;;AAEA;EACE,cAAc;EACd,cAAc;EACd,gBAAgB;AAClB;;AAEA;EACE,qBAAqB;EACrB,+BAA+B;EAC/B,gBAAgB;AAClB;;AAEA;EACE,gBAAgB;AAClB;;AAEA;EACE,gEAAgE;EAChE,+BAA+B;EAC/B,kCAAkC;EAClC,gBAAgB;EAChB,iBAAiB;EACjB,uBAAuB;EACvB,mBAAmB;AACrB;;AAEA;EACE,gBAAgB;EAChB,SAAS;EACT,UAAU;AACZ;;AAEA;EACE,mEAAmE;EACnE,iBAAiB;AACnB;;AAEA;EACE,eAAe;AACjB;;AAEA;;EAEE,mCAAmC;AACrC;;AAEA;EACE,aAAa;EACb,8BAA8B;EAC9B,QAAQ;AACV;;AAEA;EACE,gBAAgB;EAChB,+BAA+B;AACjC;;AAEA;;EAEE,+BAA+B;EAC/B,kCAAkC;EAClC,gBAAgB;AAClB;;AAEA;EACE,aAAa;EACb,8BAA8B;AAChC;;AAEA;EACE,+BAA+B;EAC/B,aAAa;AACf;;AAEA;EACE,aAAa;EACb,eAAe;EACf,QAAQ;EACR,eAAe;AACjB;;AAEA;EACE,mBAAmB;EACnB,qBAAqB;EACrB,kCAAkC;EAClC,iBAAiB;EACjB,iBAAiB;EACjB,cAAc;EACd,mBAAmB;AACrB;;AAEA;EACE,kCAAkC;EAClC,sCAAsC;EACtC,wCAAwC;AAC1C;;AAEA;EACE,mCAAmC;EACnC,yCAAyC;EACzC,+BAA+B;EAC/B,eAAe;AACjB;;AAEA;EACE,mCAAmC;AACrC;;AAEA;EACE,eAAe;EACf,gBAAgB;EAChB,iBAAiB;EACjB,0BAA0B;AAC5B;;AAEA;EACE,qBAAqB;AACvB;;AAEA;EACE,+BAA+B;EAC/B,kBAAkB;EAClB,eAAe;AACjB;;AAEA;;EAEE,6BAA6B;AAC/B;;AAEA;EACE,+BAA+B;AACjC;;AAEA;EACE,iBAAiB;EACjB,cAAc;AAChB;;AAEA;EACE,gBAAgB;EAChB,YAAY;EACZ,mCAAmC;EACnC,eAAe;EACf,kBAAkB;EAClB,cAAc;EACd,0BAA0B;AAC5B;;AAEA,2BAA2B;AAC3B;EACE,uBAAuB;EACvB,sBAAsB;AACxB;;AAEA;EACE,8CAA8C;EAC9C,iBAAiB;AACnB;;AAEA;EACE,+BAA+B;EAC/B,gBAAgB;AAClB;;AAEA;EACE,mCAAmC;EACnC,4DAA4D;EAC5D,kBAAkB;EAClB,cAAc;EACd,iBAAiB;AACnB;;AAEA;EACE,mBAAmB;EACnB,aAAa;EACb,eAAe;EACf,QAAQ;EACR,aAAa;AACf;;AAEA;EACE,+BAA+B;EAC/B,gBAAgB;AAClB;;AAEA;EACE,YAAY;EACZ,iBAAiB;EACjB,eAAe;EACf,eAAe;AACjB;;AAEA;EACE,mCAAmC;AACrC;;AAEA;EACE,eAAe;EACf,YAAY;AACd;;AAEA;EACE,YAAY;EACZ,iBAAiB;EACjB,kCAAkC;AACpC;;AAEA;;EAEE,sCAAsC;EACtC,iEAAiE;EACjE,sCAAsC;EACtC,sBAAsB;EACtB,+BAA+B;EAC/B,kCAAkC;EAClC,YAAY;EACZ,eAAe;EACf,cAAc;AAChB;;AAEA;EACE,eAAe;AACjB;;AAEA;EACE,UAAU;AACZ;;AAEA;EACE,4CAA4C;EAC5C,uEAAuE;EACvE,kBAAkB;EAClB,uCAAuC;EACvC,gBAAgB;AAClB;;AAEA;EACE,cAAc;AAChB;;AAEA;;EAEE,mEAAmE;EACnE,kCAAkC;EAClC,eAAe;EACf,mBAAmB;AACrB;;AAEA;EACE,eAAe;AACjB;;AAEA;EACE,uCAAuC;EACvC,WAAW;EACX,sBAAsB;AACxB;;AAEA;EACE,cAAc;EACd,aAAa;AACf;;AAEA;;EAEE,cAAc;EACd,eAAe;AACjB;;AAEA;EACE,yBAAyB;EACzB,WAAW;AACb;;AAEA;EACE,+BAA+B;EAC/B,gBAAgB;EAChB,gBAAgB;EAChB,mBAAmB;AACrB;;AAEA;;EAEE,mEAAmE;EACnE,gBAAgB;EAChB,mBAAmB;AACrB;;AAEA;EACE,uCAAuC;EACvC,mCAAmC;AACrC;;AAEA;EACE,kCAAkC;AACpC;;AAEA;EACE,gBAAgB;AAClB;;AAEA;EACE,aAAa;EACb,uCAAuC;EACvC,aAAa;AACf;;AAEA;EACE,+BAA+B;AACjC;;AAEA;EACE,SAAS;EACT,qBAAqB;AACvB;;AAEA;EACE,aAAa;EACb,sBAAsB;AACxB;;AAEA;EACE,4DAA4D;EAC5D,cAAc;EACd,iBAAiB;AACnB","sourcesContent":["/* nb-registry: sidebar and pages. Colours come from the JupyterLab theme variables. */\n\n.nbr-sidebar,\n.nbr-page {\n  background: var(--jp-layout-color1);\n  color: var(--jp-ui-font-color1);\n  font-size: var(--jp-ui-font-size1);\n  overflow: auto;\n}\n\n.nbr-sidebar {\n  display: flex;\n  flex-direction: column;\n  min-width: 240px;\n}\n\n.nbr-sidebar-header {\n  display: flex;\n  align-items: center;\n  justify-content: space-between;\n  padding: 6px 8px 2px 12px;\n}\n\n.nbr-sidebar-header h2 {\n  font-size: var(--jp-ui-font-size2);\n  font-weight: 600;\n  margin: 0;\n  text-transform: uppercase;\n  letter-spacing: 0.04em;\n}\n\n.nbr-icon-button {\n  background: none;\n  border: none;\n  cursor: pointer;\n  padding: 2px;\n}\n\n.nbr-tabs {\n  display: flex;\n  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);\n  padding: 0 8px;\n}\n\n.nbr-tab {\n  background: none;\n  border: none;\n  border-bottom: 2px solid transparent;\n  color: var(--jp-ui-font-color2);\n  cursor: pointer;\n  padding: 6px 10px;\n  font-size: var(--jp-ui-font-size1);\n}\n\n.nbr-tab.nbr-mod-active {\n  border-bottom-color: var(--jp-brand-color1);\n  color: var(--jp-ui-font-color0);\n  font-weight: 600;\n}\n\n.nbr-search {\n  margin: 8px 8px 4px;\n  width: calc(100% - 16px);\n  box-sizing: border-box;\n}\n\n.nbr-sidebar-body {\n  flex: 1 1 auto;\n  overflow: auto;\n  padding: 0 0 8px;\n}\n\n.nbr-sidebar-body h4 {\n  margin: 12px 12px 4px;\n  color: var(--jp-ui-font-color2);\n  font-weight: 600;\n}\n\n.nbr-sidebar-body > div > .nbr-button {\n  margin: 8px 12px;\n}\n\n.nbr-sidebar-footer {\n  border-top: var(--jp-border-width) solid var(--jp-border-color2);\n  color: var(--jp-ui-font-color2);\n  font-size: var(--jp-ui-font-size0);\n  overflow: hidden;\n  padding: 4px 12px;\n  text-overflow: ellipsis;\n  white-space: nowrap;\n}\n\n.nbr-list {\n  list-style: none;\n  margin: 0;\n  padding: 0;\n}\n\n.nbr-list > li {\n  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);\n  padding: 6px 12px;\n}\n\n.nbr-clickable {\n  cursor: pointer;\n}\n\n.nbr-list > li.nbr-clickable:hover,\ntr.nbr-clickable:hover {\n  background: var(--jp-layout-color2);\n}\n\n.nbr-row-title {\n  display: flex;\n  justify-content: space-between;\n  gap: 8px;\n}\n\n.nbr-name {\n  font-weight: 600;\n  color: var(--jp-ui-font-color0);\n}\n\n.nbr-count,\n.nbr-project {\n  color: var(--jp-ui-font-color2);\n  font-size: var(--jp-ui-font-size0);\n  margin-left: 6px;\n}\n\n.nbr-collection-row {\n  display: flex;\n  justify-content: space-between;\n}\n\n.nbr-description {\n  color: var(--jp-ui-font-color2);\n  margin: 2px 0;\n}\n\n.nbr-chips {\n  display: flex;\n  flex-wrap: wrap;\n  gap: 4px;\n  margin-top: 4px;\n}\n\n.nbr-chip {\n  border-radius: 10px;\n  display: inline-block;\n  font-size: var(--jp-ui-font-size0);\n  line-height: 16px;\n  margin-right: 2px;\n  padding: 0 7px;\n  white-space: nowrap;\n}\n\n.nbr-chip-alias {\n  background: var(--jp-brand-color3);\n  color: var(--jp-brand-color0, #0d47a1);\n  border: 1px solid var(--jp-brand-color2);\n}\n\n.nbr-chip-tag {\n  background: var(--jp-layout-color2);\n  border: 1px solid var(--jp-border-color1);\n  color: var(--jp-ui-font-color1);\n  cursor: pointer;\n}\n\n.nbr-chip-state {\n  background: var(--jp-layout-color3);\n}\n\n.nbr-type-group > summary {\n  cursor: pointer;\n  font-weight: 600;\n  padding: 6px 12px;\n  text-transform: capitalize;\n}\n\n.nbr-filter {\n  padding: 2px 12px 6px;\n}\n\n.nbr-empty {\n  color: var(--jp-ui-font-color2);\n  font-style: italic;\n  padding: 0 12px;\n}\n\n.nbr-error,\n.nbr-message-error {\n  color: var(--jp-error-color1);\n}\n\n.nbr-message-ok {\n  color: var(--jp-success-color1);\n}\n\n.nbr-message {\n  min-height: 1.4em;\n  padding: 2px 0;\n}\n\n.nbr-link-button {\n  background: none;\n  border: none;\n  color: var(--jp-content-link-color);\n  cursor: pointer;\n  font-size: inherit;\n  padding: 0 4px;\n  text-decoration: underline;\n}\n\n/* pages in the main area */\n.nbr-page {\n  padding: 12px 20px 32px;\n  box-sizing: border-box;\n}\n\n.nbr-page-header h2 {\n  font-size: var(--jp-content-font-size4, 1.4em);\n  margin: 4px 0 6px;\n}\n\n.nbr-kicker {\n  color: var(--jp-ui-font-color2);\n  font-weight: 400;\n}\n\n.nbr-actions {\n  background: var(--jp-layout-color2);\n  border: var(--jp-border-width) solid var(--jp-border-color2);\n  border-radius: 4px;\n  margin: 12px 0;\n  padding: 8px 12px;\n}\n\n.nbr-form {\n  align-items: center;\n  display: flex;\n  flex-wrap: wrap;\n  gap: 6px;\n  margin: 4px 0;\n}\n\n.nbr-form > label:first-child {\n  color: var(--jp-ui-font-color2);\n  min-width: 3.5em;\n}\n\n.nbr-button {\n  height: 26px;\n  line-height: 26px;\n  padding: 0 10px;\n  cursor: pointer;\n}\n\n.nbr-button:not(.jp-mod-accept) {\n  background: var(--jp-layout-color3);\n}\n\n.nbr-button:disabled {\n  cursor: default;\n  opacity: 0.5;\n}\n\n.nbr-button.nbr-small {\n  height: 22px;\n  line-height: 22px;\n  font-size: var(--jp-ui-font-size0);\n}\n\n.nbr-select,\n.nbr-input.jp-mod-styled {\n  background: var(--jp-input-background);\n  border: var(--jp-border-width) solid var(--jp-input-border-color);\n  border-radius: var(--jp-border-radius);\n  box-sizing: border-box;\n  color: var(--jp-ui-font-color0);\n  font-size: var(--jp-ui-font-size1);\n  height: 26px;\n  max-width: 100%;\n  padding: 0 6px;\n}\n\n.nbr-wide {\n  min-width: 22em;\n}\n\n.nbr-narrow {\n  width: 6em;\n}\n\n.nbr-use-line {\n  background: var(--jp-cell-editor-background);\n  border: var(--jp-border-width) solid var(--jp-cell-editor-border-color);\n  border-radius: 3px;\n  font-family: var(--jp-code-font-family);\n  padding: 3px 8px;\n}\n\n.nbr-section {\n  margin: 16px 0;\n}\n\n.nbr-section h3,\n.nbr-card h3 {\n  border-bottom: var(--jp-border-width) solid var(--jp-border-color2);\n  font-size: var(--jp-ui-font-size2);\n  margin: 0 0 8px;\n  padding-bottom: 4px;\n}\n\n.nbr-card-body {\n  max-width: 60em;\n}\n\n.nbr-card-editor {\n  font-family: var(--jp-code-font-family);\n  width: 100%;\n  box-sizing: border-box;\n}\n\n.nbr-field {\n  display: block;\n  margin: 6px 0;\n}\n\n.nbr-field > input,\n.nbr-field > textarea {\n  display: block;\n  margin-top: 2px;\n}\n\n.nbr-table {\n  border-collapse: collapse;\n  width: 100%;\n}\n\n.nbr-table th {\n  color: var(--jp-ui-font-color2);\n  font-weight: 600;\n  text-align: left;\n  white-space: nowrap;\n}\n\n.nbr-table th,\n.nbr-table td {\n  border-bottom: var(--jp-border-width) solid var(--jp-border-color3);\n  padding: 4px 8px;\n  vertical-align: top;\n}\n\n.nbr-table td.nbr-meta {\n  font-family: var(--jp-code-font-family);\n  font-size: var(--jp-code-font-size);\n}\n\ntr.nbr-mod-selected {\n  background: var(--jp-brand-color3);\n}\n\n.nbr-scroll-x {\n  overflow-x: auto;\n}\n\n.nbr-facts {\n  display: grid;\n  grid-template-columns: max-content auto;\n  gap: 2px 12px;\n}\n\n.nbr-facts dt {\n  color: var(--jp-ui-font-color2);\n}\n\n.nbr-facts dd {\n  margin: 0;\n  word-break: break-all;\n}\n\n.nbr-lineage {\n  display: flex;\n  flex-direction: column;\n}\n\n.nbr-graph {\n  border: var(--jp-border-width) solid var(--jp-border-color2);\n  flex: 1 1 auto;\n  min-height: 360px;\n}\n"],"sourceRoot":""}]);
// Exports
/* export default */ const __rspack_default_export = (___CSS_LOADER_EXPORT___);


},
"./node_modules/css-loader/dist/runtime/api.js"(module) {


/*
  MIT License http://www.opensource.org/licenses/mit-license.php
  Author Tobias Koppers @sokra
*/
module.exports = function (cssWithMappingToString) {
  var list = [];

  // return the list of modules as css string
  list.toString = function toString() {
    return this.map(function (item) {
      var content = "";
      var needLayer = typeof item[5] !== "undefined";
      if (item[4]) {
        content += "@supports (".concat(item[4], ") {");
      }
      if (item[2]) {
        content += "@media ".concat(item[2], " {");
      }
      if (needLayer) {
        content += "@layer".concat(item[5].length > 0 ? " ".concat(item[5]) : "", " {");
      }
      content += cssWithMappingToString(item);
      if (needLayer) {
        content += "}";
      }
      if (item[2]) {
        content += "}";
      }
      if (item[4]) {
        content += "}";
      }
      return content;
    }).join("");
  };

  // import a list of modules into the list
  list.i = function i(modules, media, dedupe, supports, layer) {
    if (typeof modules === "string") {
      modules = [[null, modules, undefined]];
    }
    var alreadyImportedModules = {};
    if (dedupe) {
      for (var k = 0; k < this.length; k++) {
        var id = this[k][0];
        if (id != null) {
          alreadyImportedModules[id] = true;
        }
      }
    }
    for (var _k = 0; _k < modules.length; _k++) {
      var item = [].concat(modules[_k]);
      if (dedupe && alreadyImportedModules[item[0]]) {
        continue;
      }
      if (typeof layer !== "undefined") {
        if (typeof item[5] === "undefined") {
          item[5] = layer;
        } else {
          item[1] = "@layer".concat(item[5].length > 0 ? " ".concat(item[5]) : "", " {").concat(item[1], "}");
          item[5] = layer;
        }
      }
      if (media) {
        if (!item[2]) {
          item[2] = media;
        } else {
          item[1] = "@media ".concat(item[2], " {").concat(item[1], "}");
          item[2] = media;
        }
      }
      if (supports) {
        if (!item[4]) {
          item[4] = "".concat(supports);
        } else {
          item[1] = "@supports (".concat(item[4], ") {").concat(item[1], "}");
          item[4] = supports;
        }
      }
      list.push(item);
    }
  };
  return list;
};

},
"./node_modules/css-loader/dist/runtime/sourceMaps.js"(module) {


module.exports = function (item) {
  var content = item[1];
  var cssMapping = item[3];
  if (!cssMapping) {
    return content;
  }
  if (typeof btoa === "function") {
    var base64 = btoa(unescape(encodeURIComponent(JSON.stringify(cssMapping))));
    var data = "sourceMappingURL=data:application/json;charset=utf-8;base64,".concat(base64);
    var sourceMapping = "/*# ".concat(data, " */");
    return [content].concat([sourceMapping]).join("\n");
  }
  return [content].join("\n");
};

},
"./style/base.css"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
__webpack_require__.d(__webpack_exports__, {
  "default": () => (__rspack_default_export)
});
/* import */ var _node_modules_style_loader_dist_runtime_injectStylesIntoStyleTag_js__rspack_import_0 = __webpack_require__("./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js");
/* import */ var _node_modules_style_loader_dist_runtime_injectStylesIntoStyleTag_js__rspack_import_0_default = /*#__PURE__*/__webpack_require__.n(_node_modules_style_loader_dist_runtime_injectStylesIntoStyleTag_js__rspack_import_0);
/* import */ var _node_modules_style_loader_dist_runtime_styleDomAPI_js__rspack_import_1 = __webpack_require__("./node_modules/style-loader/dist/runtime/styleDomAPI.js");
/* import */ var _node_modules_style_loader_dist_runtime_styleDomAPI_js__rspack_import_1_default = /*#__PURE__*/__webpack_require__.n(_node_modules_style_loader_dist_runtime_styleDomAPI_js__rspack_import_1);
/* import */ var _node_modules_style_loader_dist_runtime_insertBySelector_js__rspack_import_2 = __webpack_require__("./node_modules/style-loader/dist/runtime/insertBySelector.js");
/* import */ var _node_modules_style_loader_dist_runtime_insertBySelector_js__rspack_import_2_default = /*#__PURE__*/__webpack_require__.n(_node_modules_style_loader_dist_runtime_insertBySelector_js__rspack_import_2);
/* import */ var _node_modules_style_loader_dist_runtime_setAttributesWithoutAttributes_js__rspack_import_3 = __webpack_require__("./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js");
/* import */ var _node_modules_style_loader_dist_runtime_setAttributesWithoutAttributes_js__rspack_import_3_default = /*#__PURE__*/__webpack_require__.n(_node_modules_style_loader_dist_runtime_setAttributesWithoutAttributes_js__rspack_import_3);
/* import */ var _node_modules_style_loader_dist_runtime_insertStyleElement_js__rspack_import_4 = __webpack_require__("./node_modules/style-loader/dist/runtime/insertStyleElement.js");
/* import */ var _node_modules_style_loader_dist_runtime_insertStyleElement_js__rspack_import_4_default = /*#__PURE__*/__webpack_require__.n(_node_modules_style_loader_dist_runtime_insertStyleElement_js__rspack_import_4);
/* import */ var _node_modules_style_loader_dist_runtime_styleTagTransform_js__rspack_import_5 = __webpack_require__("./node_modules/style-loader/dist/runtime/styleTagTransform.js");
/* import */ var _node_modules_style_loader_dist_runtime_styleTagTransform_js__rspack_import_5_default = /*#__PURE__*/__webpack_require__.n(_node_modules_style_loader_dist_runtime_styleTagTransform_js__rspack_import_5);
/* import */ var _node_modules_css_loader_dist_cjs_js_base_css__rspack_import_6 = __webpack_require__("./node_modules/css-loader/dist/cjs.js!./style/base.css");

      
      
      
      
      
      
      
      
      

var options = {};

options.styleTagTransform = (_node_modules_style_loader_dist_runtime_styleTagTransform_js__rspack_import_5_default());
options.setAttributes = (_node_modules_style_loader_dist_runtime_setAttributesWithoutAttributes_js__rspack_import_3_default());
options.insert = _node_modules_style_loader_dist_runtime_insertBySelector_js__rspack_import_2_default().bind(null, "head");
options.domAPI = (_node_modules_style_loader_dist_runtime_styleDomAPI_js__rspack_import_1_default());
options.insertStyleElement = (_node_modules_style_loader_dist_runtime_insertStyleElement_js__rspack_import_4_default());

var update = _node_modules_style_loader_dist_runtime_injectStylesIntoStyleTag_js__rspack_import_0_default()(_node_modules_css_loader_dist_cjs_js_base_css__rspack_import_6["default"], options);




       /* export default */ const __rspack_default_export = (_node_modules_css_loader_dist_cjs_js_base_css__rspack_import_6["default"] && _node_modules_css_loader_dist_cjs_js_base_css__rspack_import_6["default"].locals ? _node_modules_css_loader_dist_cjs_js_base_css__rspack_import_6["default"].locals : undefined);


},
"./node_modules/style-loader/dist/runtime/injectStylesIntoStyleTag.js"(module) {


var stylesInDOM = [];
function getIndexByIdentifier(identifier) {
  var result = -1;
  for (var i = 0; i < stylesInDOM.length; i++) {
    if (stylesInDOM[i].identifier === identifier) {
      result = i;
      break;
    }
  }
  return result;
}
function modulesToDom(list, options) {
  var idCountMap = {};
  var identifiers = [];
  for (var i = 0; i < list.length; i++) {
    var item = list[i];
    var id = options.base ? item[0] + options.base : item[0];
    var count = idCountMap[id] || 0;
    var identifier = "".concat(id, " ").concat(count);
    idCountMap[id] = count + 1;
    var indexByIdentifier = getIndexByIdentifier(identifier);
    var obj = {
      css: item[1],
      media: item[2],
      sourceMap: item[3],
      supports: item[4],
      layer: item[5]
    };
    if (indexByIdentifier !== -1) {
      stylesInDOM[indexByIdentifier].references++;
      stylesInDOM[indexByIdentifier].updater(obj);
    } else {
      var updater = addElementStyle(obj, options);
      options.byIndex = i;
      stylesInDOM.splice(i, 0, {
        identifier: identifier,
        updater: updater,
        references: 1
      });
    }
    identifiers.push(identifier);
  }
  return identifiers;
}
function addElementStyle(obj, options) {
  var api = options.domAPI(options);
  api.update(obj);
  var updater = function updater(newObj) {
    if (newObj) {
      if (newObj.css === obj.css && newObj.media === obj.media && newObj.sourceMap === obj.sourceMap && newObj.supports === obj.supports && newObj.layer === obj.layer) {
        return;
      }
      api.update(obj = newObj);
    } else {
      api.remove();
    }
  };
  return updater;
}
module.exports = function (list, options) {
  options = options || {};
  list = list || [];
  var lastIdentifiers = modulesToDom(list, options);
  return function update(newList) {
    newList = newList || [];
    for (var i = 0; i < lastIdentifiers.length; i++) {
      var identifier = lastIdentifiers[i];
      var index = getIndexByIdentifier(identifier);
      stylesInDOM[index].references--;
    }
    var newLastIdentifiers = modulesToDom(newList, options);
    for (var _i = 0; _i < lastIdentifiers.length; _i++) {
      var _identifier = lastIdentifiers[_i];
      var _index = getIndexByIdentifier(_identifier);
      if (stylesInDOM[_index].references === 0) {
        stylesInDOM[_index].updater();
        stylesInDOM.splice(_index, 1);
      }
    }
    lastIdentifiers = newLastIdentifiers;
  };
};

},
"./node_modules/style-loader/dist/runtime/insertBySelector.js"(module) {


var memo = {};

/* istanbul ignore next  */
function getTarget(target) {
  if (typeof memo[target] === "undefined") {
    var styleTarget = document.querySelector(target);

    // Special case to return head of iframe instead of iframe itself
    if (window.HTMLIFrameElement && styleTarget instanceof window.HTMLIFrameElement) {
      try {
        // This will throw an exception if access to iframe is blocked
        // due to cross-origin restrictions
        styleTarget = styleTarget.contentDocument.head;
      } catch (e) {
        // istanbul ignore next
        styleTarget = null;
      }
    }
    memo[target] = styleTarget;
  }
  return memo[target];
}

/* istanbul ignore next  */
function insertBySelector(insert, style) {
  var target = getTarget(insert);
  if (!target) {
    throw new Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");
  }
  target.appendChild(style);
}
module.exports = insertBySelector;

},
"./node_modules/style-loader/dist/runtime/insertStyleElement.js"(module) {


/* istanbul ignore next  */
function insertStyleElement(options) {
  var element = document.createElement("style");
  options.setAttributes(element, options.attributes);
  options.insert(element, options.options);
  return element;
}
module.exports = insertStyleElement;

},
"./node_modules/style-loader/dist/runtime/setAttributesWithoutAttributes.js"(module, __unused_rspack_exports, __webpack_require__) {


/* istanbul ignore next  */
function setAttributesWithoutAttributes(styleElement) {
  var nonce =  true ? __webpack_require__.nc : 0;
  if (nonce) {
    styleElement.setAttribute("nonce", nonce);
  }
}
module.exports = setAttributesWithoutAttributes;

},
"./node_modules/style-loader/dist/runtime/styleDomAPI.js"(module) {


/* istanbul ignore next  */
function apply(styleElement, options, obj) {
  var css = "";
  if (obj.supports) {
    css += "@supports (".concat(obj.supports, ") {");
  }
  if (obj.media) {
    css += "@media ".concat(obj.media, " {");
  }
  var needLayer = typeof obj.layer !== "undefined";
  if (needLayer) {
    css += "@layer".concat(obj.layer.length > 0 ? " ".concat(obj.layer) : "", " {");
  }
  css += obj.css;
  if (needLayer) {
    css += "}";
  }
  if (obj.media) {
    css += "}";
  }
  if (obj.supports) {
    css += "}";
  }
  var sourceMap = obj.sourceMap;
  if (sourceMap && typeof btoa !== "undefined") {
    css += "\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(sourceMap)))), " */");
  }

  // For old IE
  /* istanbul ignore if  */
  options.styleTagTransform(css, styleElement, options.options);
}
function removeStyleElement(styleElement) {
  // istanbul ignore if
  if (styleElement.parentNode === null) {
    return false;
  }
  styleElement.parentNode.removeChild(styleElement);
}

/* istanbul ignore next  */
function domAPI(options) {
  if (typeof document === "undefined") {
    return {
      update: function update() {},
      remove: function remove() {}
    };
  }
  var styleElement = options.insertStyleElement(options);
  return {
    update: function update(obj) {
      apply(styleElement, options, obj);
    },
    remove: function remove() {
      removeStyleElement(styleElement);
    }
  };
}
module.exports = domAPI;

},
"./node_modules/style-loader/dist/runtime/styleTagTransform.js"(module) {


/* istanbul ignore next  */
function styleTagTransform(css, styleElement) {
  if (styleElement.styleSheet) {
    styleElement.styleSheet.cssText = css;
  } else {
    while (styleElement.firstChild) {
      styleElement.removeChild(styleElement.firstChild);
    }
    styleElement.appendChild(document.createTextNode(css));
  }
}
module.exports = styleTagTransform;

},
"./style/index.js"(__unused_rspack_module, __webpack_exports__, __webpack_require__) {
__webpack_require__.r(__webpack_exports__);
/* import */ var _base_css__rspack_import_0 = __webpack_require__("./style/base.css");



},

}]);
//# sourceMappingURL=style_index_js.fb370ddd0bada672.js.map