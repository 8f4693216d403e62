-- kiln for Neovim: filetype detection and the `kiln lsp` language server.
-- Put this file in ~/.config/nvim/plugin/kiln.lua (or require it from init.lua).
-- Works with Neovim 0.7 (vim.lsp.start_client + buf_attach_client) and later
-- (vim.lsp.start). No plugin is needed; nvim-lspconfig users can use the same `cmd`.

-- Filetype: `vim.filetype.add` where it exists (0.7 uses it only with
-- `vim.g.do_filetype_lua = 1`), and an autocommand that works everywhere.
if vim.filetype and vim.filetype.add then
  vim.filetype.add({ extension = { kiln = "kiln" } })
end
vim.cmd([[
  augroup kiln_filetype
    autocmd!
    autocmd BufRead,BufNewFile *.kiln setfiletype kiln
  augroup END
]])

local config = {
  name = "kiln",
  cmd = { "kiln", "lsp" },
  -- Options the server reads at initialize (see docs/editors.md).
  init_options = { diagnosticsDelayMs = 100 },
}

local function root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = vim.fn.fnamemodify(name, ":p:h")
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

local client_id = nil

local function attach(args)
  local bufnr = args and args.buf or vim.api.nvim_get_current_buf()
  if vim.lsp.start then
    -- Neovim 0.8 and later: reuses the client for buffers with the same root.
    vim.lsp.start(vim.tbl_extend("force", config, { root_dir = root_dir(bufnr) }))
    return
  end
  -- Neovim 0.7.
  if not client_id or not vim.lsp.get_client_by_id(client_id) then
    client_id = vim.lsp.start_client(vim.tbl_extend("force", config, { root_dir = root_dir(bufnr) }))
  end
  if client_id then
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
end

vim.api.nvim_create_autocmd("FileType", { pattern = "kiln", callback = attach })

-- :KilnPreview shows the compiled YAML of the buffer (with a range: of the block under
-- the cursor) in a split, from the server's `kiln.preview` command.
vim.api.nvim_create_user_command("KilnPreview", function(opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local args = { vim.uri_from_bufnr(bufnr) }
  if opts.bang then
    local params = vim.lsp.util.make_position_params()
    table.insert(args, params.position)
  end
  vim.lsp.buf_request(bufnr, "workspace/executeCommand",
    { command = "kiln.preview", arguments = args },
    function(err, result)
      if err then
        vim.notify("kiln: " .. err.message, vim.log.levels.ERROR)
        return
      end
      vim.cmd("vnew")
      local out = vim.api.nvim_get_current_buf()
      vim.api.nvim_buf_set_lines(out, 0, -1, false, vim.split(result, "\n", { plain = true }))
      vim.bo[out].filetype = "yaml"
      vim.bo[out].buftype = "nofile"
      vim.bo[out].modified = false
    end)
end, { bang = true, desc = "kiln: preview the compiled YAML (! for the block under the cursor)" })
